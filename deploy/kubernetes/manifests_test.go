// Package kubernetes_test checks the manifests under deploy/kubernetes: no
// cluster is at hand, so each document is decoded strictly into the
// Kubernetes API type of its kind (an unknown or misspelt field fails), the
// kustomization and the Prometheus configuration are decoded into the
// fields this test knows, and the wiring between them is checked by hand.
// Where kubectl is installed, the kustomization is also rendered by it.
//
// Each check returns its problems rather than failing at once, so that the
// tests can prove it fails on a broken copy of what it checks.
package kubernetes_test

import (
	"bytes"
	"fmt"
	"maps"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"loadharness/scenarios/suite"
)

// The names the documents give each other.
const (
	shardJobName   = "loadtest-shards"
	collectJobName = "loadtest-collect"
	runConfigMap   = "loadtest-run"
	suiteConfigMap = "loadtest-suite"
	promConfigMap  = "prometheus-config"
	targetName     = "target"
	headlessName   = "target-headless"
	balancerName   = "balancer"
	readerFile     = "results-reader.yaml"
)

// objects are the documents of some manifests, by kind and name.
type objects struct {
	jobs         map[string]*batchv1.Job
	deployments  map[string]*appsv1.Deployment
	statefulSets map[string]*appsv1.StatefulSet
	services     map[string]*corev1.Service
	configMaps   map[string]*corev1.ConfigMap
	claims       map[string]*corev1.PersistentVolumeClaim
	pods         map[string]*corev1.Pod
}

func newObjects() objects {
	return objects{
		jobs: map[string]*batchv1.Job{}, deployments: map[string]*appsv1.Deployment{},
		statefulSets: map[string]*appsv1.StatefulSet{}, services: map[string]*corev1.Service{},
		configMaps: map[string]*corev1.ConfigMap{}, claims: map[string]*corev1.PersistentVolumeClaim{},
		pods: map[string]*corev1.Pod{},
	}
}

// decodeFiles reads every document of files strictly into its API type.
func decodeFiles(t *testing.T, files ...string) objects {
	t.Helper()
	objs := newObjects()
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		decodeDocuments(t, file, data, objs)
	}
	return objs
}

// decodeDocuments adds the documents of one multi-document YAML stream.
func decodeDocuments(t *testing.T, where string, data []byte, objs objects) {
	t.Helper()
	for i, doc := range splitDocuments(data) {
		where := fmt.Sprintf("%s document %d", where, i+1)
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &tm); err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		var (
			name string
			err  error
		)
		switch tm.APIVersion + " " + tm.Kind {
		case "batch/v1 Job":
			o := &batchv1.Job{}
			err, name = yaml.UnmarshalStrict(doc, o), o.Name
			objs.jobs[o.Name] = o
		case "apps/v1 Deployment":
			o := &appsv1.Deployment{}
			err, name = yaml.UnmarshalStrict(doc, o), o.Name
			objs.deployments[o.Name] = o
		case "apps/v1 StatefulSet":
			o := &appsv1.StatefulSet{}
			err, name = yaml.UnmarshalStrict(doc, o), o.Name
			objs.statefulSets[o.Name] = o
		case "v1 Service":
			o := &corev1.Service{}
			err, name = yaml.UnmarshalStrict(doc, o), o.Name
			objs.services[o.Name] = o
		case "v1 ConfigMap":
			o := &corev1.ConfigMap{}
			err, name = yaml.UnmarshalStrict(doc, o), o.Name
			objs.configMaps[o.Name] = o
		case "v1 PersistentVolumeClaim":
			o := &corev1.PersistentVolumeClaim{}
			err, name = yaml.UnmarshalStrict(doc, o), o.Name
			objs.claims[o.Name] = o
		case "v1 Pod":
			o := &corev1.Pod{}
			err, name = yaml.UnmarshalStrict(doc, o), o.Name
			objs.pods[o.Name] = o
		default:
			t.Fatalf("%s: unexpected kind %q %q", where, tm.APIVersion, tm.Kind)
		}
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		if name == "" {
			t.Errorf("%s: %s has no name", where, tm.Kind)
		}
	}
}

// splitDocuments splits a multi-document YAML file at its "---" lines.
func splitDocuments(data []byte) [][]byte {
	var docs [][]byte
	for _, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(data), -1) {
		if strings.TrimSpace(stripComments(doc)) != "" {
			docs = append(docs, []byte(doc))
		}
	}
	return docs
}

func stripComments(doc string) string {
	var b bytes.Buffer
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// kustomization holds the fields of a kustomization.yaml this test knows:
// decoded strictly, a field it does not know fails the test rather than
// go unchecked.
type kustomization struct {
	APIVersion         string           `json:"apiVersion"`
	Kind               string           `json:"kind"`
	Resources          []string         `json:"resources"`
	Components         []string         `json:"components"`
	Images             []kustomizeImage `json:"images"`
	ConfigMapGenerator []struct {
		Name     string   `json:"name"`
		Literals []string `json:"literals"`
		Files    []string `json:"files"`
	} `json:"configMapGenerator"`
	Replacements []replacement `json:"replacements"`
}

type kustomizeImage struct {
	Name    string `json:"name"`
	NewName string `json:"newName"`
	NewTag  string `json:"newTag"`
}

type replacement struct {
	Source struct {
		Kind      string `json:"kind"`
		Name      string `json:"name"`
		FieldPath string `json:"fieldPath"`
	} `json:"source"`
	Targets []struct {
		Select struct {
			Group string `json:"group"`
			Kind  string `json:"kind"`
			Name  string `json:"name"`
		} `json:"select"`
		FieldPaths []string `json:"fieldPaths"`
	} `json:"targets"`
}

func readKustomization(t *testing.T, dir string) kustomization {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k kustomization
	if err := yaml.UnmarshalStrict(data, &k); err != nil {
		t.Fatalf("%s/kustomization.yaml: %v", dir, err)
	}
	return k
}

// literals returns the generated ConfigMap name's literals as a map.
func (k kustomization) literals(t *testing.T, name string) map[string]string {
	t.Helper()
	for _, g := range k.ConfigMapGenerator {
		if g.Name != name {
			continue
		}
		out := map[string]string{}
		for _, l := range g.Literals {
			key, value, ok := strings.Cut(l, "=")
			if !ok {
				t.Fatalf("configMapGenerator %s: literal %q is not KEY=VALUE", name, l)
			}
			out[key] = value
		}
		return out
	}
	t.Fatalf("no configMapGenerator %s", name)
	return nil
}

// generatedKeys returns the keys of every generated ConfigMap: a literal's
// KEY, a file's own name or the KEY of KEY=file.
func (k kustomization) generatedKeys() map[string][]string {
	out := map[string][]string{}
	for _, g := range k.ConfigMapGenerator {
		for _, l := range g.Literals {
			key, _, _ := strings.Cut(l, "=")
			out[g.Name] = append(out[g.Name], key)
		}
		for _, f := range g.Files {
			key, file, ok := strings.Cut(f, "=")
			if !ok {
				key = filepath.Base(file)
			}
			out[g.Name] = append(out[g.Name], key)
		}
	}
	return out
}

// generatorFile returns the file a generated ConfigMap takes key from.
func (k kustomization) generatorFile(t *testing.T, name, key string) string {
	t.Helper()
	for _, g := range k.ConfigMapGenerator {
		for _, f := range g.Files {
			k, file, ok := strings.Cut(f, "=")
			if !ok {
				k, file = filepath.Base(f), f
			}
			if g.Name == name && k == key {
				return file
			}
		}
	}
	t.Fatalf("configMapGenerator %s has no file for key %s", name, key)
	return ""
}

// stack is everything the tests read: the kustomization, the documents of
// its resources and the files its generators read.
type stack struct {
	k    kustomization
	objs objects
	prom promConfig
	run  map[string]string // loadtest-run's literals
}

func loadStack(t *testing.T) stack {
	t.Helper()
	k := readKustomization(t, ".")
	s := stack{k: k, objs: decodeFiles(t, k.Resources...), run: k.literals(t, runConfigMap)}
	data, err := os.ReadFile(k.generatorFile(t, promConfigMap, "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(data, &s.prom); err != nil {
		t.Fatalf("prometheus.yml: %v", err)
	}
	return s
}

func (s stack) job(t *testing.T, name string) *batchv1.Job {
	t.Helper()
	if s.objs.jobs[name] == nil {
		t.Fatalf("no Job %s", name)
	}
	return s.objs.jobs[name]
}

func (s stack) target(t *testing.T) *appsv1.StatefulSet {
	t.Helper()
	if s.objs.statefulSets[targetName] == nil {
		t.Fatalf("no StatefulSet %s", targetName)
	}
	return s.objs.statefulSets[targetName]
}

func TestManifestsDecodeStrictly(t *testing.T) {
	s := loadStack(t)
	o := s.objs
	got := []int{len(o.jobs), len(o.deployments), len(o.statefulSets), len(o.services), len(o.configMaps), len(o.claims), len(o.pods)}
	if want := []int{2, 3, 1, 6, 0, 1, 0}; !slices.Equal(got, want) {
		t.Errorf("jobs, deployments, stateful sets, services, config maps, claims, pods = %v, want %v", got, want)
	}
	if reader := decodeFiles(t, readerFile); len(reader.pods) != 1 {
		t.Errorf("%s: want one Pod, got %d", readerFile, len(reader.pods))
	}
}

// TestEveryFileIsAccountedFor: a manifest left out of resources would never
// be applied, and a stray one would go unchecked.
func TestEveryFileIsAccountedFor(t *testing.T) {
	k := readKustomization(t, ".")
	known := map[string]bool{"kustomization.yaml": true, readerFile: true}
	for _, r := range k.Resources {
		known[r] = true
	}
	for _, g := range k.ConfigMapGenerator {
		for _, f := range g.Files {
			_, file, ok := strings.Cut(f, "=")
			if !ok {
				file = f
			}
			known[file] = true
		}
	}
	for f := range known {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	for _, c := range k.Components {
		if _, err := os.Stat(filepath.Join(c, "kustomization.yaml")); err != nil {
			t.Errorf("component %s: %v", c, err)
		}
	}
	files, _ := filepath.Glob("*.y*ml")
	for _, f := range files {
		if !known[f] {
			t.Errorf("%s is neither a resource, a generator's file nor %s", f, readerFile)
		}
	}
}

// images lists every image the pod templates of objs name.
func (o objects) images() []string {
	var out []string
	for _, pod := range o.podSpecs() {
		for _, c := range slices.Concat(pod.InitContainers, pod.Containers) {
			out = append(out, c.Image)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// podSpecs are every pod template of objs, by "Kind/name".
func (o objects) podSpecs() map[string]corev1.PodSpec {
	out := map[string]corev1.PodSpec{}
	for n, x := range o.jobs {
		out["Job/"+n] = x.Spec.Template.Spec
	}
	for n, x := range o.deployments {
		out["Deployment/"+n] = x.Spec.Template.Spec
	}
	for n, x := range o.statefulSets {
		out["StatefulSet/"+n] = x.Spec.Template.Spec
	}
	for n, x := range o.pods {
		out["Pod/"+n] = x.Spec
	}
	return out
}

// imageName is an image reference without its tag or digest.
func imageName(ref string) string {
	ref, _, _ = strings.Cut(ref, "@")
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref = ref[:i]
	}
	return ref
}

// imageProblems: every image the manifests name is set in images:, and
// every entry there sets one of them.
func imageProblems(entries []kustomizeImage, images []string) []string {
	var problems []string
	set := map[string]bool{}
	for _, e := range entries {
		if e.NewTag == "" || e.NewName == "" {
			problems = append(problems, fmt.Sprintf("images: %s must give newName and newTag, the one place they are set", e.Name))
		}
		set[e.Name] = true
	}
	used := map[string]bool{}
	for _, ref := range images {
		used[imageName(ref)] = true
		if !set[imageName(ref)] {
			problems = append(problems, fmt.Sprintf("image %s has no entry in images:", ref))
		}
	}
	for _, e := range entries {
		if !used[e.Name] {
			problems = append(problems, fmt.Sprintf("images: %s is named by no manifest", e.Name))
		}
	}
	return problems
}

func TestKustomizationSetsEveryImage(t *testing.T) {
	s := loadStack(t)
	if s.k.APIVersion != "kustomize.config.k8s.io/v1beta1" || s.k.Kind != "Kustomization" {
		t.Errorf("kustomization.yaml is %s %s", s.k.APIVersion, s.k.Kind)
	}
	images := s.objs.images()
	if got, want := len(images), 4; got != want {
		t.Errorf("images %v: want %d (loadtest, target, redis, prometheus)", images, want)
	}
	for _, p := range imageProblems(s.k.Images, images) {
		t.Error(p)
	}
	// The check fails on a kustomization that misses an image, or sets one
	// no manifest uses.
	if p := imageProblems(s.k.Images[1:], images); len(p) == 0 {
		t.Errorf("imageProblems without %s: none", s.k.Images[0].Name)
	}
	if p := imageProblems(s.k.Images, append(slices.Clone(images), "busybox:1.37")); len(p) == 0 {
		t.Error("imageProblems with an image not in images: none")
	}
}

// argVars are the $(VAR)s the args of c use.
func argVars(c corev1.Container) []string {
	var out []string
	for _, a := range slices.Concat(c.Command, c.Args) {
		for _, m := range regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`).FindAllStringSubmatch(a, -1) {
			out = append(out, m[1])
		}
	}
	return out
}

// runSettingProblems: every $(VAR) a Job's container uses is defined (else
// Kubernetes passes it through literally), and every key of the run's
// ConfigMap is read by some Job.
func runSettingProblems(generated map[string][]string, jobs map[string]*batchv1.Job) []string {
	var problems []string
	read := map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(jobs)) {
		for _, c := range jobs[name].Spec.Template.Spec.Containers {
			defined := map[string]bool{}
			for _, e := range c.Env {
				defined[e.Name] = true
			}
			for _, from := range c.EnvFrom {
				keys, ok := generated[configMapName(from)]
				if !ok {
					problems = append(problems, fmt.Sprintf("Job %s: envFrom %+v names no generated ConfigMap", name, from))
				}
				for _, k := range keys {
					defined[k] = true
				}
			}
			for _, v := range argVars(c) {
				read[v] = true
				if !defined[v] {
					problems = append(problems, fmt.Sprintf("Job %s: $(%s) is not defined", name, v))
				}
			}
		}
	}
	for _, k := range generated[runConfigMap] {
		if !read[k] {
			problems = append(problems, fmt.Sprintf("%s: %s is read by no Job", runConfigMap, k))
		}
	}
	return problems
}

func configMapName(from corev1.EnvFromSource) string {
	if from.ConfigMapRef == nil {
		return ""
	}
	return from.ConfigMapRef.Name
}

func TestJobsReadTheRunSettings(t *testing.T) {
	s := loadStack(t)
	generated := s.k.generatedKeys()
	for _, p := range runSettingProblems(generated, s.objs.jobs) {
		t.Error(p)
	}
	if got, want := slices.Sorted(maps.Keys(s.run)), []string{"PROMETHEUS_URL", "RUN_ID", "SHARDS", "START_AT", "SUITE", "TARGET_URL"}; !slices.Equal(got, want) {
		t.Errorf("%s keys = %v, want %v", runConfigMap, got, want)
	}
	if _, err := time.Parse(time.RFC3339, s.run["START_AT"]); err != nil {
		t.Errorf("START_AT: %v", err)
	}
	// The check fails on a key nobody reads, and on one a Job needs.
	extra := maps.Clone(generated)
	extra[runConfigMap] = append(slices.Clone(extra[runConfigMap]), "UNUSED")
	if p := runSettingProblems(extra, s.objs.jobs); len(p) != 1 {
		t.Errorf("runSettingProblems with an unread key: %q, want one problem", p)
	}
	missing := maps.Clone(generated)
	missing[runConfigMap] = slices.DeleteFunc(slices.Clone(missing[runConfigMap]), func(k string) bool { return k == "RUN_ID" })
	if p := runSettingProblems(missing, s.objs.jobs); len(p) == 0 {
		t.Error("runSettingProblems without RUN_ID: none")
	}

	for name, job := range s.objs.jobs {
		if job.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyNever {
			t.Errorf("Job %s: restartPolicy = %q, want Never", name, job.Spec.Template.Spec.RestartPolicy)
		}
		if job.Spec.BackoffLimit == nil || *job.Spec.BackoffLimit != 0 {
			t.Errorf("Job %s: backoffLimit = %v, want 0: a retried shard runs outside the common window, a retried collector finds its --out taken", name, job.Spec.BackoffLimit)
		}
	}
}

// TestSuiteIsMountedAndFitsTheStack: the shards run the suite file that
// loadtest-suite mounts, and that suite describes the stack these
// manifests run, with every gate measurable through Prometheus.
func TestSuiteIsMountedAndFitsTheStack(t *testing.T) {
	s := loadStack(t)
	c := onlyContainer(t, s.job(t, shardJobName).Spec.Template.Spec)
	if got := flagValue(t, c.Args, "--suite"); got != "$(SUITE)" {
		t.Errorf("--suite = %q, want $(SUITE)", got)
	}
	var mount string
	for _, v := range s.job(t, shardJobName).Spec.Template.Spec.Volumes {
		if v.ConfigMap != nil && v.ConfigMap.Name == suiteConfigMap {
			for _, m := range c.VolumeMounts {
				if m.Name == v.Name {
					mount = m.MountPath
				}
			}
		}
	}
	if mount == "" {
		t.Fatalf("the shards do not mount %s", suiteConfigMap)
	}
	if got, want := s.run["SUITE"], filepath.Join(mount, "suite.yaml"); got != want {
		t.Errorf("SUITE = %q, want the mounted %s", got, want)
	}
	st, err := suite.Load(s.k.generatorFile(t, suiteConfigMap, "suite.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if p := append(st.Gateless(), st.Unmeasurable(true)...); len(p) > 0 {
		t.Errorf("suite.yaml: %v", p)
	}
	target := s.target(t)
	tc := onlyContainer(t, target.Spec.Template.Spec)
	got := []string{fmt.Sprint(st.Stack.Instances), fmt.Sprint(st.Stack.Workers), fmt.Sprint(st.Stack.Threads), st.Stack.SessionStore, st.Stack.DatasetStore}
	want := []string{fmt.Sprint(*target.Spec.Replicas), flagValue(t, tc.Args, "--workers"), flagValue(t, tc.Args, "--threads"),
		flagValue(t, tc.Args, "--session-store"), flagValue(t, tc.Args, "--dataset-store")}
	if !slices.Equal(got, want) {
		t.Errorf("suite.yaml's stack (instances, workers, threads, stores) = %v, the target runs %v", got, want)
	}
}

// shardProblems: one N everywhere. The run's SHARDS is the shard Job's
// completions and parallelism, the N of --shard I/N and the collector's
// --shards, and each index gives a --shard the CLI accepts.
func shardProblems(shards string, comp []replacement, shardJob, collectJob *batchv1.Job) []string {
	var problems []string
	n, err := strconv.Atoi(shards)
	if err != nil || n < 1 {
		return []string{fmt.Sprintf("SHARDS = %q, want a count", shards)}
	}
	spec := shardJob.Spec
	if spec.CompletionMode == nil || *spec.CompletionMode != batchv1.IndexedCompletion {
		problems = append(problems, "the shard Job's completionMode must be Indexed")
	}
	if spec.Completions == nil || int(*spec.Completions) != n {
		problems = append(problems, fmt.Sprintf("completions = %v, want SHARDS = %d", ptrString(spec.Completions), n))
	}
	if spec.Parallelism == nil || int(*spec.Parallelism) != n {
		problems = append(problems, fmt.Sprintf("parallelism = %v, want SHARDS = %d: shards must run at once", ptrString(spec.Parallelism), n))
	}
	// What kustomize does with SHARDS: copied into both counts.
	copied := map[string]bool{}
	for _, r := range comp {
		if r.Source.Kind != "ConfigMap" || r.Source.Name != runConfigMap || r.Source.FieldPath != "data.SHARDS" {
			continue
		}
		for _, tg := range r.Targets {
			if tg.Select.Kind == "Job" && tg.Select.Name == shardJob.Name {
				for _, f := range tg.FieldPaths {
					copied[f] = true
				}
			}
		}
	}
	for _, f := range []string{"spec.completions", "spec.parallelism"} {
		if !copied[f] {
			problems = append(problems, fmt.Sprintf("shard-count does not copy SHARDS into the shard Job's %s", f))
		}
	}
	sc := shardJob.Spec.Template.Spec.Containers
	cc := collectJob.Spec.Template.Spec.Containers
	if len(sc) != 1 || len(cc) != 1 {
		return append(problems, "want one container in each Job")
	}
	shard, _ := lookupFlag(sc[0].Args, "--shard")
	if shard != "$(SHARD_INDEX)/$(SHARDS)" {
		problems = append(problems, fmt.Sprintf("--shard = %q, want $(SHARD_INDEX)/$(SHARDS)", shard))
	}
	if got, _ := lookupFlag(cc[0].Args, "--shards"); got != "$(SHARDS)" {
		problems = append(problems, fmt.Sprintf("collect --shards = %q, want $(SHARDS)", got))
	}
	var index *corev1.EnvVar
	for i, e := range sc[0].Env {
		if e.Name == "SHARD_INDEX" {
			index = &sc[0].Env[i]
		}
	}
	if index == nil || index.ValueFrom == nil || index.ValueFrom.FieldRef == nil ||
		index.ValueFrom.FieldRef.FieldPath != "metadata.annotations['batch.kubernetes.io/job-completion-index']" {
		problems = append(problems, "SHARD_INDEX must come from the job-completion-index annotation")
	}
	for i := range n {
		s := strings.NewReplacer("$(SHARD_INDEX)", fmt.Sprint(i), "$(SHARDS)", shards).Replace(shard)
		if _, err := suite.ParseShard(s); err != nil {
			problems = append(problems, fmt.Sprintf("shard %d: %v", i, err))
		}
	}
	return problems
}

func ptrString(p *int32) string {
	if p == nil {
		return "unset"
	}
	return fmt.Sprint(*p)
}

func TestOneShardCountEverywhere(t *testing.T) {
	s := loadStack(t)
	comp := readKustomization(t, s.k.Components[0])
	shards, collect := s.job(t, shardJobName), s.job(t, collectJobName)
	for _, p := range shardProblems(s.run["SHARDS"], comp.Replacements, shards, collect) {
		t.Error(p)
	}
	if comp.Kind != "Component" {
		t.Errorf("%s is a %s, want a Component", s.k.Components[0], comp.Kind)
	}
	// The check fails when one count differs, or kustomize would not copy N.
	tests := map[string]func(shards, collect *batchv1.Job) ([]replacement, string){
		"more completions": func(j, _ *batchv1.Job) ([]replacement, string) {
			*j.Spec.Completions++
			return comp.Replacements, s.run["SHARDS"]
		},
		"other SHARDS": func(_, _ *batchv1.Job) ([]replacement, string) { return comp.Replacements, "4" },
		"literal --shards": func(_, c *batchv1.Job) ([]replacement, string) {
			c.Spec.Template.Spec.Containers[0].Args = replaceFlag(c.Spec.Template.Spec.Containers[0].Args, "--shards", "3")
			return comp.Replacements, s.run["SHARDS"]
		},
		"no replacements": func(_, _ *batchv1.Job) ([]replacement, string) { return nil, s.run["SHARDS"] },
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			j, c := shards.DeepCopy(), collect.DeepCopy()
			repl, n := mutate(j, c)
			if p := shardProblems(n, repl, j, c); len(p) == 0 {
				t.Error("shardProblems: none")
			}
		})
	}
}

// promConfig holds the parts of prometheus.yml this test reads.
type promConfig struct {
	Global struct {
		ScrapeInterval     string `json:"scrape_interval"`
		ScrapeTimeout      string `json:"scrape_timeout"`
		EvaluationInterval string `json:"evaluation_interval"`
	} `json:"global"`
	ScrapeConfigs []struct {
		JobName       string `json:"job_name"`
		StaticConfigs []struct {
			Targets []string          `json:"targets"`
			Labels  map[string]string `json:"labels"`
		} `json:"static_configs"`
	} `json:"scrape_configs"`
}

// scrapeProblems: Prometheus scrapes every worker of every target pod, on
// that worker's own port (--metrics-listen: worker W on port+W-1), as job
// "target" with the labels instance (the pod's name) and worker, every
// 1 to 5 seconds.
func scrapeProblems(prom promConfig, target *appsv1.StatefulSet) []string {
	var problems []string
	iv, err := time.ParseDuration(prom.Global.ScrapeInterval)
	if err != nil || iv < time.Second || iv > 5*time.Second {
		problems = append(problems, fmt.Sprintf("scrape_interval = %q, want 1s to 5s", prom.Global.ScrapeInterval))
	}
	c := target.Spec.Template.Spec.Containers[0]
	workers, _ := lookupFlag(c.Args, "--workers")
	w, err := strconv.Atoi(workers)
	if err != nil || w < 1 {
		return append(problems, fmt.Sprintf("target --workers = %q, want a count", workers))
	}
	listen, _ := lookupFlag(c.Args, "--metrics-listen")
	_, port, err := net.SplitHostPort(listen)
	first, perr := strconv.Atoi(port)
	if err != nil || perr != nil {
		return append(problems, fmt.Sprintf("target --metrics-listen = %q, want HOST:PORT", listen))
	}
	declared := map[int32]bool{}
	for _, p := range c.Ports {
		declared[p.ContainerPort] = true
	}
	want := map[string]string{}
	for i := range int(*target.Spec.Replicas) {
		for worker := 1; worker <= w; worker++ {
			pod := fmt.Sprintf("%s-%d", target.Name, i)
			addr := net.JoinHostPort(pod+"."+target.Spec.ServiceName, strconv.Itoa(first+worker-1))
			want[addr] = fmt.Sprintf("instance=%s worker=%d", pod, worker)
			if i == 0 && !declared[int32(first+worker-1)] {
				problems = append(problems, fmt.Sprintf("the target container does not declare worker %d's metrics port %d", worker, first+worker-1))
			}
		}
	}
	got := map[string]string{}
	for _, sc := range prom.ScrapeConfigs {
		if sc.JobName != "target" {
			continue
		}
		for _, st := range sc.StaticConfigs {
			for _, addr := range st.Targets {
				if _, dup := got[addr]; dup {
					problems = append(problems, fmt.Sprintf("%s is scraped twice", addr))
				}
				got[addr] = fmt.Sprintf("instance=%s worker=%s", st.Labels["instance"], st.Labels["worker"])
			}
		}
	}
	for _, addr := range slices.Sorted(maps.Keys(want)) {
		if got[addr] != want[addr] {
			problems = append(problems, fmt.Sprintf("job target: %s has labels %q, want %q", addr, got[addr], want[addr]))
		}
	}
	for _, addr := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[addr]; !ok {
			problems = append(problems, fmt.Sprintf("job target scrapes %s, no worker of the target", addr))
		}
	}
	return problems
}

func TestPrometheusScrapesEveryWorker(t *testing.T) {
	s := loadStack(t)
	target := s.target(t)
	for _, p := range scrapeProblems(s.prom, target) {
		t.Error(p)
	}
	if n := len(s.prom.ScrapeConfigs[0].StaticConfigs); n != 12 {
		t.Errorf("%d static targets, want 3 pods × 4 workers", n)
	}
	// The check fails when a pod or a worker is added, or a target dropped.
	more := target.DeepCopy()
	*more.Spec.Replicas++
	if p := scrapeProblems(s.prom, more); len(p) != 4 {
		t.Errorf("scrapeProblems with a fourth pod: %q, want its 4 workers missing", p)
	}
	wider := target.DeepCopy()
	wider.Spec.Template.Spec.Containers[0].Args = replaceFlag(wider.Spec.Template.Spec.Containers[0].Args, "--workers", "5")
	if p := scrapeProblems(s.prom, wider); len(p) != 4 {
		t.Errorf("scrapeProblems with a fifth worker: %q, want 3 missing and the undeclared port", p)
	}
	var fewer promConfig
	data, _ := yaml.Marshal(s.prom)
	yaml.Unmarshal(data, &fewer)
	fewer.ScrapeConfigs[0].StaticConfigs = fewer.ScrapeConfigs[0].StaticConfigs[1:]
	if p := scrapeProblems(fewer, target); len(p) != 1 {
		t.Errorf("scrapeProblems without one target: %q, want one problem", p)
	}

	// The shards read the target through this Prometheus, and not through
	// a Service's /metrics, where each scrape reads one worker of one pod
	// (see shards-job.yaml).
	c := onlyContainer(t, s.job(t, shardJobName).Spec.Template.Spec)
	if got := flagValue(t, c.Args, "--prometheus-url"); got != "$(PROMETHEUS_URL)" {
		t.Errorf("--prometheus-url = %q, want $(PROMETHEUS_URL)", got)
	}
	if p := serviceURLProblem(s.objs, s.run["PROMETHEUS_URL"]); p != "" {
		t.Error(p)
	}
	if metrics, ok := lookupFlag(c.Args, "--metrics-url"); ok {
		u, err := url.Parse(metrics)
		if err != nil {
			t.Fatalf("--metrics-url %q: %v", metrics, err)
		}
		if got, want := u.Path, "$(PROMETHEUS_URL)/federate"; !strings.HasSuffix(got, "/federate") || !strings.HasPrefix(metrics, want) {
			t.Errorf("--metrics-url %q: want Prometheus's %s", metrics, want)
		}
		if got, want := u.Query()["match[]"], []string{`{job="target"}`}; !slices.Equal(got, want) {
			t.Errorf("--metrics-url %q federates %q, want %q", metrics, got, want)
		}
	}
}

// backendProblems: the balancer balances over each target pod by its
// stable name, one URL per replica.
func backendProblems(balancer *appsv1.Deployment, target *appsv1.StatefulSet, headless *corev1.Service) []string {
	var problems []string
	if headless.Spec.ClusterIP != corev1.ClusterIPNone {
		problems = append(problems, fmt.Sprintf("Service %s is not headless", headless.Name))
	}
	if !headless.Spec.PublishNotReadyAddresses {
		problems = append(problems, fmt.Sprintf("Service %s must publish pods not ready: the balancer checks them itself", headless.Name))
	}
	if target.Spec.ServiceName != headless.Name {
		problems = append(problems, fmt.Sprintf("StatefulSet %s: serviceName = %q, want %s", target.Name, target.Spec.ServiceName, headless.Name))
	}
	var port int32
	for _, p := range target.Spec.Template.Spec.Containers[0].Ports {
		if p.Name == "http" {
			port = p.ContainerPort
		}
	}
	var want []string
	for i := range int(*target.Spec.Replicas) {
		want = append(want, fmt.Sprintf("http://%s-%d.%s:%d", target.Name, i, headless.Name, port))
	}
	c := balancer.Spec.Template.Spec.Containers[0]
	backends, _ := lookupFlag(c.Args, "--backends")
	if got := strings.Split(backends, ","); len(c.Args) == 0 || c.Args[0] != "lb" || !slices.Equal(got, want) {
		problems = append(problems, fmt.Sprintf("balancer: lb --backends=%s, want every pod of %s: %s", backends, target.Name, strings.Join(want, ",")))
	}
	return problems
}

func TestBalancerSeesEveryPod(t *testing.T) {
	s := loadStack(t)
	balancer, headless := s.objs.deployments[balancerName], s.objs.services[headlessName]
	if balancer == nil || headless == nil {
		t.Fatalf("no Deployment %s or no Service %s", balancerName, headlessName)
	}
	target := s.target(t)
	for _, p := range backendProblems(balancer, target, headless) {
		t.Error(p)
	}
	if *target.Spec.Replicas < 2 {
		t.Error("the target must run several replicas")
	}
	// The check fails when the replicas change alone.
	for _, delta := range []int32{-1, 1} {
		changed := target.DeepCopy()
		*changed.Spec.Replicas += delta
		if p := backendProblems(balancer, changed, headless); len(p) != 1 {
			t.Errorf("backendProblems with %d replicas: %q, want one problem", *changed.Spec.Replicas, p)
		}
	}
	// Users who would rather go through kube-proxy still have a Service.
	if svc := s.objs.services[targetName]; svc == nil || svc.Spec.ClusterIP == corev1.ClusterIPNone {
		t.Errorf("no ordinary Service %s", targetName)
	}
}

// serviceURLProblem says what is wrong with an http://SERVICE:PORT URL
// meant to name a Service port of objs.
func serviceURLProblem(objs objects, rawURL string) string {
	host, ok := strings.CutPrefix(rawURL, "http://")
	svc, port, _ := strings.Cut(strings.TrimSuffix(host, "/"), ":")
	if s := objs.services[svc]; ok && s != nil {
		for _, p := range s.Spec.Ports {
			if fmt.Sprint(p.Port) == port {
				return ""
			}
		}
	}
	return fmt.Sprintf("%s names no Service port here", rawURL)
}

// TestResultsTravelOverHTTP: the shards keep their runs in an emptyDir and
// push them to the collector's Service; only the collector holds a claim,
// ReadWriteOnce, and it reads the token from the same optional Secret.
func TestResultsTravelOverHTTP(t *testing.T) {
	s := loadStack(t)
	shards, collect := s.job(t, shardJobName), s.job(t, collectJobName)
	sc, cc := onlyContainer(t, shards.Spec.Template.Spec), onlyContainer(t, collect.Spec.Template.Spec)
	if p := serviceURLProblem(s.objs, flagValue(t, sc.Args, "--push")); p != "" {
		t.Error(p)
	}
	if p := serviceURLProblem(s.objs, s.run["TARGET_URL"]); p != "" {
		t.Error(p)
	}
	_, listenPort, _ := net.SplitHostPort(flagValue(t, cc.Args, "--listen"))
	if len(cc.Ports) != 1 || fmt.Sprint(cc.Ports[0].ContainerPort) != listenPort {
		t.Errorf("collector ports %v, want its --listen port %s", cc.Ports, listenPort)
	}
	if got, want := flagValue(t, cc.Args, "--out"), "/results/$(RUN_ID)"; got != want {
		t.Errorf("collect --out = %q, want %q", got, want)
	}
	for _, v := range shards.Spec.Template.Spec.Volumes {
		if v.EmptyDir == nil && v.ConfigMap == nil {
			t.Errorf("shard volume %s is neither an emptyDir nor a ConfigMap: shards share no storage", v.Name)
		}
	}
	var claims []string
	for _, v := range collect.Spec.Template.Spec.Volumes {
		if v.PersistentVolumeClaim != nil {
			claims = append(claims, v.PersistentVolumeClaim.ClaimName)
		}
	}
	if len(claims) != 1 || s.objs.claims[claims[0]] == nil {
		t.Fatalf("collector claims %v, want one defined here", claims)
	}
	for name, pvc := range s.objs.claims {
		if !slices.Equal(pvc.Spec.AccessModes, []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}) {
			t.Errorf("claim %s: access modes %v, want ReadWriteOnce alone, which every storage class offers", name, pvc.Spec.AccessModes)
		}
	}
	for _, c := range []corev1.Container{sc, cc} {
		var token *corev1.EnvVar
		for i, e := range c.Env {
			if e.Name == "LOADTEST_COLLECT_TOKEN" {
				token = &c.Env[i]
			}
		}
		if token == nil || token.ValueFrom == nil || token.ValueFrom.SecretKeyRef == nil ||
			token.ValueFrom.SecretKeyRef.Name != "loadtest-collect" || token.ValueFrom.SecretKeyRef.Optional == nil || !*token.ValueFrom.SecretKeyRef.Optional {
			t.Errorf("%s: LOADTEST_COLLECT_TOKEN must come from the optional Secret loadtest-collect", c.Name)
		}
	}
	// The collector outlives the shards: it gives up only once no shard
	// can report any more, and its Job's deadline leaves time to merge.
	timeout, err := time.ParseDuration(flagValue(t, cc.Args, "--timeout"))
	if err != nil {
		t.Fatal(err)
	}
	shardDeadline := time.Duration(*shards.Spec.ActiveDeadlineSeconds) * time.Second
	collectDeadline := time.Duration(*collect.Spec.ActiveDeadlineSeconds) * time.Second
	if timeout <= shardDeadline || collectDeadline <= timeout {
		t.Errorf("shards' deadline %s, collect --timeout %s, collector's deadline %s: want them increasing", shardDeadline, timeout, collectDeadline)
	}
	// The results reader mounts the same claim, read-only.
	reader := decodeFiles(t, readerFile)
	for _, pod := range reader.pods {
		for _, v := range pod.Spec.Volumes {
			if pvc := v.PersistentVolumeClaim; pvc != nil && (pvc.ClaimName != claims[0] || !pvc.ReadOnly) {
				t.Errorf("%s: claim %+v, want %s read-only", readerFile, pvc, claims[0])
			}
		}
	}
}

func TestServicesSelectTheirPods(t *testing.T) {
	s := loadStack(t)
	templates := map[string]corev1.PodTemplateSpec{}
	for n, x := range s.objs.jobs {
		templates["Job/"+n] = x.Spec.Template
	}
	for n, x := range s.objs.deployments {
		templates["Deployment/"+n] = x.Spec.Template
		if p := selectorProblem(x.Spec.Selector, x.Spec.Template.Labels); p != "" {
			t.Errorf("Deployment %s: %s", n, p)
		}
	}
	for n, x := range s.objs.statefulSets {
		templates["StatefulSet/"+n] = x.Spec.Template
		if p := selectorProblem(x.Spec.Selector, x.Spec.Template.Labels); p != "" {
			t.Errorf("StatefulSet %s: %s", n, p)
		}
	}
	for name, svc := range s.objs.services {
		var selected []string
		for w, tpl := range templates {
			if len(svc.Spec.Selector) > 0 && selects(svc.Spec.Selector, tpl.Labels) {
				selected = append(selected, w)
			}
		}
		if len(selected) != 1 {
			t.Errorf("Service %s selects %v, want one workload's pods", name, selected)
			continue
		}
		ports := map[string]bool{}
		for _, p := range onlyContainer(t, templates[selected[0]].Spec).Ports {
			ports[p.Name] = true
		}
		for _, p := range svc.Spec.Ports {
			if !ports[p.TargetPort.StrVal] {
				t.Errorf("Service %s: targetPort %q is not a named port of %s", name, p.TargetPort.StrVal, selected[0])
			}
		}
	}
}

func selects(selector, labels map[string]string) bool {
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func selectorProblem(sel *metav1.LabelSelector, labels map[string]string) string {
	if sel == nil || len(sel.MatchLabels) == 0 || !selects(sel.MatchLabels, labels) {
		return fmt.Sprintf("selector %v does not select its pods %v", sel, labels)
	}
	return ""
}

// restrictedVolume says whether the "restricted" level allows v's type.
func restrictedVolume(v corev1.Volume) bool {
	s := v.VolumeSource
	return s.ConfigMap != nil || s.CSI != nil || s.DownwardAPI != nil || s.EmptyDir != nil ||
		s.Ephemeral != nil || s.PersistentVolumeClaim != nil || s.Projected != nil || s.Secret != nil
}

// restrictedProblems checks a pod against the Pod Security "restricted"
// level, and a little more: the pod sets its user, group and seccomp
// profile itself (no reliance on the image), every container sets its
// own securityContext, root file systems are read-only, and no
// service-account token is mounted (nothing here talks to the API).
func restrictedProblems(pod corev1.PodSpec) []string {
	var problems []string
	add := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	if pod.HostNetwork || pod.HostPID || pod.HostIPC {
		add("pod shares a host namespace")
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		add("automountServiceAccountToken must be false")
	}
	for _, v := range pod.Volumes {
		if !restrictedVolume(v) {
			add("volume %s is of a type the restricted level forbids", v.Name)
		}
	}
	ps := pod.SecurityContext
	if ps == nil {
		ps = &corev1.PodSecurityContext{}
		add("pod has no securityContext")
	}
	if ps.RunAsNonRoot == nil || !*ps.RunAsNonRoot {
		add("pod: runAsNonRoot must be true")
	}
	if ps.RunAsUser == nil || *ps.RunAsUser == 0 {
		add("pod: runAsUser must be set, not 0")
	}
	if ps.RunAsGroup == nil || *ps.RunAsGroup == 0 {
		add("pod: runAsGroup must be set, not 0")
	}
	if ps.SeccompProfile == nil || ps.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		add("pod: seccompProfile must be RuntimeDefault")
	}
	if len(ps.Sysctls) > 0 {
		add("pod: sysctls are not allowed")
	}
	for _, c := range slices.Concat(pod.InitContainers, pod.Containers) {
		for _, p := range c.Ports {
			if p.HostPort != 0 {
				add("%s: hostPort %d", c.Name, p.HostPort)
			}
		}
		cs := c.SecurityContext
		if cs == nil {
			add("%s has no securityContext", c.Name)
			continue
		}
		if cs.AllowPrivilegeEscalation == nil || *cs.AllowPrivilegeEscalation {
			add("%s: allowPrivilegeEscalation must be false", c.Name)
		}
		if cs.Privileged != nil && *cs.Privileged {
			add("%s is privileged", c.Name)
		}
		if cs.Capabilities == nil || !slices.Contains(cs.Capabilities.Drop, "ALL") {
			add("%s: capabilities must drop ALL", c.Name)
		}
		if cs.Capabilities != nil && len(cs.Capabilities.Add) > 0 {
			add("%s adds capabilities %v", c.Name, cs.Capabilities.Add)
		}
		if cs.ReadOnlyRootFilesystem == nil || !*cs.ReadOnlyRootFilesystem {
			add("%s: readOnlyRootFilesystem must be true", c.Name)
		}
		if cs.RunAsNonRoot != nil && !*cs.RunAsNonRoot {
			add("%s: runAsNonRoot false", c.Name)
		}
		if cs.RunAsUser != nil && *cs.RunAsUser == 0 {
			add("%s: runAsUser 0", c.Name)
		}
		if cs.SeccompProfile != nil && cs.SeccompProfile.Type == corev1.SeccompProfileTypeUnconfined {
			add("%s: seccompProfile Unconfined", c.Name)
		}
		if cs.ProcMount != nil && *cs.ProcMount != corev1.DefaultProcMount {
			add("%s: procMount %s", c.Name, *cs.ProcMount)
		}
	}
	return problems
}

func TestEveryPodFitsTheRestrictedLevel(t *testing.T) {
	s := loadStack(t)
	pods := s.objs.podSpecs()
	maps.Copy(pods, decodeFiles(t, readerFile).podSpecs())
	if len(pods) != 7 {
		t.Errorf("%d pod templates, want 7", len(pods))
	}
	for name, pod := range pods {
		for _, p := range restrictedProblems(pod) {
			t.Errorf("%s: %s", name, p)
		}
	}
	// Our images run as 65532; Redis and Prometheus as their images' users.
	users := map[string]int64{}
	for name, pod := range pods {
		users[name] = *pod.SecurityContext.RunAsUser
	}
	for name, want := range map[string]int64{"Deployment/redis": 999, "Deployment/prometheus": 65534,
		"StatefulSet/target": 65532, "Deployment/balancer": 65532, "Job/" + shardJobName: 65532, "Job/" + collectJobName: 65532} {
		if users[name] != want {
			t.Errorf("%s runs as %d, want %d", name, users[name], want)
		}
	}

	// Each rule fails on a copy of a pod that breaks it, or misses the field.
	f, tr := false, true
	var zero int64
	tests := map[string]func(*corev1.PodSpec){
		"no pod securityContext": func(p *corev1.PodSpec) { p.SecurityContext = nil },
		"runAsNonRoot missing":   func(p *corev1.PodSpec) { p.SecurityContext.RunAsNonRoot = nil },
		"runAsUser missing":      func(p *corev1.PodSpec) { p.SecurityContext.RunAsUser = nil },
		"runAsUser root":         func(p *corev1.PodSpec) { p.SecurityContext.RunAsUser = &zero },
		"runAsGroup missing":     func(p *corev1.PodSpec) { p.SecurityContext.RunAsGroup = nil },
		"seccomp missing":        func(p *corev1.PodSpec) { p.SecurityContext.SeccompProfile = nil },
		"token mounted":          func(p *corev1.PodSpec) { p.AutomountServiceAccountToken = nil },
		"host network":           func(p *corev1.PodSpec) { p.HostNetwork = true },
		"hostPath volume": func(p *corev1.PodSpec) {
			p.Volumes[0].VolumeSource = corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}
		},
		"no container securityContext": func(p *corev1.PodSpec) { p.Containers[0].SecurityContext = nil },
		"escalation missing":           func(p *corev1.PodSpec) { p.Containers[0].SecurityContext.AllowPrivilegeEscalation = nil },
		"escalation allowed":           func(p *corev1.PodSpec) { p.Containers[0].SecurityContext.AllowPrivilegeEscalation = &tr },
		"capabilities missing":         func(p *corev1.PodSpec) { p.Containers[0].SecurityContext.Capabilities = nil },
		"capability added": func(p *corev1.PodSpec) {
			p.Containers[0].SecurityContext.Capabilities.Add = []corev1.Capability{"NET_ADMIN"}
		},
		"writable root missing":  func(p *corev1.PodSpec) { p.Containers[0].SecurityContext.ReadOnlyRootFilesystem = nil },
		"writable root":          func(p *corev1.PodSpec) { p.Containers[0].SecurityContext.ReadOnlyRootFilesystem = &f },
		"container runs as root": func(p *corev1.PodSpec) { p.Containers[0].SecurityContext.RunAsUser = &zero },
		"privileged":             func(p *corev1.PodSpec) { p.Containers[0].SecurityContext.Privileged = &tr },
		"host port": func(p *corev1.PodSpec) {
			p.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 80, HostPort: 80}}
		},
		"init container without a rule": func(p *corev1.PodSpec) { p.InitContainers = []corev1.Container{{Name: "init"}} },
	}
	base := pods["Job/"+collectJobName]
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			pod := base.DeepCopy()
			mutate(pod)
			if p := restrictedProblems(*pod); len(p) == 0 {
				t.Error("restrictedProblems: none")
			}
		})
	}
}

// TestKubectlRendersTheKustomization renders the kustomization as `kubectl
// apply -k` would, where kubectl is installed: the output decodes strictly,
// every image is set, the Jobs read the generated ConfigMaps, and an
// overlay that changes SHARDS with the shard-count component changes the
// shard Job's counts with it (as README.md says to write one).
func TestKubectlRendersTheKustomization(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl is not installed")
	}
	render := func(t *testing.T, dir string) objects {
		t.Helper()
		out, err := exec.Command(kubectl, "kustomize", dir).Output()
		if err != nil {
			var stderr []byte
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = ee.Stderr
			}
			t.Fatalf("kubectl kustomize %s: %v\n%s", dir, err, stderr)
		}
		objs := newObjects()
		decodeDocuments(t, "kubectl kustomize "+dir, out, objs)
		return objs
	}
	s := loadStack(t)
	objs := render(t, ".")
	for _, p := range imageProblems(s.k.Images, objs.images()) {
		t.Error(p)
	}
	want := map[string]string{}
	for _, img := range s.k.Images {
		want[img.Name] = img.NewName + ":" + img.NewTag
	}
	for _, ref := range objs.images() {
		if ref != want[imageName(ref)] {
			t.Errorf("rendered image %s, want %s", ref, want[imageName(ref)])
		}
	}
	run := objs.configMaps
	var runName string
	for name, cm := range run {
		if strings.HasPrefix(name, runConfigMap+"-") {
			runName = name
			if !maps.Equal(cm.Data, s.run) {
				t.Errorf("rendered %s = %v, want %v", name, cm.Data, s.run)
			}
		}
	}
	for _, name := range []string{shardJobName, collectJobName} {
		job := objs.jobs[name]
		if job == nil {
			t.Fatalf("rendered: no Job %s", name)
		}
		if got := configMapName(job.Spec.Template.Spec.Containers[0].EnvFrom[0]); got != runName {
			t.Errorf("rendered Job %s reads ConfigMap %q, want the generated %q", name, got, runName)
		}
	}

	// An overlay with five shards.
	overlay := t.TempDir()
	base, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(overlay, base)
	if err != nil {
		t.Fatal(err)
	}
	kust := fmt.Sprintf(`resources: [%[1]s]
components: [%[1]s/shard-count]
configMapGenerator:
  - name: loadtest-run
    behavior: merge
    literals: [SHARDS=5]
`, rel)
	if err := os.WriteFile(filepath.Join(overlay, "kustomization.yaml"), []byte(kust), 0o644); err != nil {
		t.Fatal(err)
	}
	five := render(t, overlay).jobs[shardJobName]
	if five == nil {
		t.Fatalf("overlay: no Job %s", shardJobName)
	}
	if got := []string{ptrString(five.Spec.Completions), ptrString(five.Spec.Parallelism)}; !slices.Equal(got, []string{"5", "5"}) {
		t.Errorf("overlay with SHARDS=5: completions and parallelism = %v, want 5 and 5", got)
	}
}

func onlyContainer(t *testing.T, pod corev1.PodSpec) corev1.Container {
	t.Helper()
	if len(pod.Containers) != 1 {
		t.Fatalf("want one container, got %d", len(pod.Containers))
	}
	return pod.Containers[0]
}

// lookupFlag returns the value of --name=value in args.
func lookupFlag(args []string, name string) (string, bool) {
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v, true
		}
	}
	return "", false
}

// flagValue is lookupFlag for a flag that must be there.
func flagValue(t *testing.T, args []string, name string) string {
	t.Helper()
	v, ok := lookupFlag(args, name)
	if !ok {
		t.Fatalf("no %s= in %v", name, args)
	}
	return v
}

// replaceFlag returns a copy of args with --name's value replaced.
func replaceFlag(args []string, name, value string) []string {
	out := slices.Clone(args)
	for i, a := range out {
		if strings.HasPrefix(a, name+"=") {
			out[i] = name + "=" + value
		}
	}
	return out
}
