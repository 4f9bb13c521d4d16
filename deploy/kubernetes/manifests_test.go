// Package kubernetes_test checks the manifests under deploy/kubernetes: no
// cluster is at hand, so each document is decoded strictly into the
// Kubernetes API type of its kind (an unknown or misspelt field fails), and
// the wiring between documents is checked by hand.
package kubernetes_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
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

// objects are every manifest's documents, by kind and name.
type objects struct {
	jobs        map[string]*batchv1.Job
	deployments map[string]*appsv1.Deployment
	services    map[string]*corev1.Service
	configMaps  map[string]*corev1.ConfigMap
	claims      map[string]*corev1.PersistentVolumeClaim
}

// decodeAll reads every *.yaml here strictly into its API type.
func decodeAll(t *testing.T) objects {
	t.Helper()
	objs := objects{
		jobs: map[string]*batchv1.Job{}, deployments: map[string]*appsv1.Deployment{},
		services: map[string]*corev1.Service{}, configMaps: map[string]*corev1.ConfigMap{},
		claims: map[string]*corev1.PersistentVolumeClaim{},
	}
	files, err := filepath.Glob("*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range splitDocuments(data) {
			where := fmt.Sprintf("%s document %d", file, i+1)
			var tm metav1.TypeMeta
			if err := yaml.Unmarshal(doc, &tm); err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			var name string
			var err error
			switch tm.APIVersion + " " + tm.Kind {
			case "batch/v1 Job":
				o := &batchv1.Job{}
				err, name = yaml.UnmarshalStrict(doc, o), o.Name
				objs.jobs[o.Name] = o
			case "apps/v1 Deployment":
				o := &appsv1.Deployment{}
				err, name = yaml.UnmarshalStrict(doc, o), o.Name
				objs.deployments[o.Name] = o
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
	return objs
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

func TestManifestsDecodeStrictly(t *testing.T) {
	objs := decodeAll(t)
	got := []int{len(objs.jobs), len(objs.deployments), len(objs.services), len(objs.configMaps), len(objs.claims)}
	if want := []int{2, 3, 3, 1, 1}; !slices.Equal(got, want) {
		t.Errorf("jobs, deployments, services, config maps, claims = %v, want %v", got, want)
	}
}

func TestShardJobIsIndexedAndConsistent(t *testing.T) {
	objs := decodeAll(t)
	job := objs.jobs["loadtest-shards"]
	if job == nil {
		t.Fatal("no loadtest-shards Job")
	}
	spec := job.Spec
	if spec.CompletionMode == nil || *spec.CompletionMode != batchv1.IndexedCompletion {
		t.Errorf("completionMode = %v, want Indexed", spec.CompletionMode)
	}
	if spec.Completions == nil || spec.Parallelism == nil || *spec.Completions != *spec.Parallelism {
		t.Fatalf("completions %v and parallelism %v must be set and equal", spec.Completions, spec.Parallelism)
	}
	n := int(*spec.Completions)
	c := onlyContainer(t, job.Spec.Template.Spec)
	env := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		env[e.Name] = e
	}
	if ref := env["SHARD_INDEX"].ValueFrom; ref == nil || ref.FieldRef == nil ||
		ref.FieldRef.FieldPath != "metadata.annotations['batch.kubernetes.io/job-completion-index']" {
		t.Errorf("SHARD_INDEX must come from the job-completion-index annotation, got %+v", env["SHARD_INDEX"])
	}
	if got, want := flagValue(t, c.Args, "--shard"), fmt.Sprintf("$(SHARD_INDEX)/%d", n); got != want {
		t.Errorf("--shard = %q, want %q (N = completions)", got, want)
	}
	if got, want := flagValue(t, c.Args, "--provider"), "external"; got != want {
		t.Errorf("--provider = %q, want %q: shards share one stack", got, want)
	}
	if spec.BackoffLimit == nil || *spec.BackoffLimit != 0 {
		t.Errorf("backoffLimit = %v, want 0: a retried shard runs outside the common window", spec.BackoffLimit)
	}

	// Every shard index must resolve to a valid --shard, as the CLI parses it.
	for i := range n {
		s := strings.ReplaceAll(flagValue(t, c.Args, "--shard"), "$(SHARD_INDEX)", fmt.Sprint(i))
		if _, err := suite.ParseShard(s); err != nil {
			t.Errorf("shard %d: %v", i, err)
		}
	}

	merge := objs.jobs["loadtest-merge"]
	if merge == nil {
		t.Fatal("no loadtest-merge Job")
	}
	mc := onlyContainer(t, merge.Spec.Template.Spec)
	if len(mc.Args) == 0 || mc.Args[0] != "report" {
		t.Fatalf("merge args = %v, want loadtest report", mc.Args)
	}
	var inputs []string
	for _, a := range mc.Args[1:] {
		if !strings.HasPrefix(a, "-") {
			inputs = append(inputs, a)
		}
	}
	out := flagValue(t, c.Args, "--out")
	var want []string
	for i := range n {
		want = append(want, strings.ReplaceAll(out, "$(SHARD_INDEX)", fmt.Sprint(i)))
	}
	if !slices.Equal(inputs, want) {
		t.Errorf("merge inputs = %v, want every shard's --out %v", inputs, want)
	}
}

func TestJobsShareTheResultsVolumeAndRunSettings(t *testing.T) {
	objs := decodeAll(t)
	cm := objs.configMaps["loadtest-run"]
	if cm == nil {
		t.Fatal("no loadtest-run ConfigMap")
	}
	if _, err := time.Parse(time.RFC3339, cm.Data["START_AT"]); err != nil {
		t.Errorf("START_AT: %v", err)
	}
	if _, err := suite.Load(cm.Data["SUITE"]); err != nil {
		t.Errorf("SUITE: %v", err)
	}
	for name, job := range objs.jobs {
		pod := job.Spec.Template.Spec
		if pod.RestartPolicy != corev1.RestartPolicyNever {
			t.Errorf("%s: restartPolicy = %q, want Never", name, pod.RestartPolicy)
		}
		c := onlyContainer(t, pod)
		// Every $(VAR) in the args must be defined, or Kubernetes passes it
		// through literally.
		defined := map[string]bool{}
		for _, e := range c.Env {
			defined[e.Name] = true
		}
		for _, from := range c.EnvFrom {
			if from.ConfigMapRef == nil || objs.configMaps[from.ConfigMapRef.Name] == nil {
				t.Fatalf("%s: envFrom %+v names no ConfigMap here", name, from)
			}
			for k := range objs.configMaps[from.ConfigMapRef.Name].Data {
				defined[k] = true
			}
		}
		for _, a := range c.Args {
			for _, m := range regexp.MustCompile(`\$\(([A-Z_]+)\)`).FindAllStringSubmatch(a, -1) {
				if !defined[m[1]] {
					t.Errorf("%s: %q uses $(%s), which is not defined", name, a, m[1])
				}
			}
		}
		var claim string
		for _, v := range pod.Volumes {
			if v.PersistentVolumeClaim != nil {
				claim = v.PersistentVolumeClaim.ClaimName
			}
		}
		pvc := objs.claims[claim]
		if pvc == nil {
			t.Fatalf("%s: claim %q is not defined here", name, claim)
		}
		if !slices.Contains(pvc.Spec.AccessModes, corev1.ReadWriteMany) {
			t.Errorf("%s: claim %s must be ReadWriteMany, shards write at once from several nodes", name, claim)
		}
	}
	// The target the shards load is a Service of the stack.
	host := strings.TrimPrefix(cm.Data["TARGET_URL"], "http://")
	svc, port, _ := strings.Cut(host, ":")
	if s := objs.services[svc]; s == nil || len(s.Spec.Ports) == 0 || fmt.Sprint(s.Spec.Ports[0].Port) != port {
		t.Errorf("TARGET_URL %s names no Service port here", cm.Data["TARGET_URL"])
	}
}

func TestServicesSelectTheirDeployments(t *testing.T) {
	objs := decodeAll(t)
	for name, svc := range objs.services {
		d := objs.deployments[name]
		if d == nil {
			t.Errorf("Service %s: no Deployment of that name", name)
			continue
		}
		labels := d.Spec.Template.Labels
		for k, v := range svc.Spec.Selector {
			if labels[k] != v {
				t.Errorf("Service %s selects %s=%s, the pods have %q", name, k, v, labels[k])
			}
		}
		for k, v := range d.Spec.Selector.MatchLabels {
			if labels[k] != v {
				t.Errorf("Deployment %s selects %s=%s, its pods have %q", name, k, v, labels[k])
			}
		}
		ports := map[string]bool{}
		for _, p := range onlyContainer(t, d.Spec.Template.Spec).Ports {
			ports[p.Name] = true
		}
		for _, p := range svc.Spec.Ports {
			if !ports[p.TargetPort.StrVal] {
				t.Errorf("Service %s: targetPort %q is not a named port of its pods", name, p.TargetPort.StrVal)
			}
		}
	}
	if d := objs.deployments["target"]; d == nil || d.Spec.Replicas == nil || *d.Spec.Replicas < 2 {
		t.Error("the target Deployment must run several replicas")
	}
}

func onlyContainer(t *testing.T, pod corev1.PodSpec) corev1.Container {
	t.Helper()
	if len(pod.Containers) != 1 {
		t.Fatalf("want one container, got %d", len(pod.Containers))
	}
	return pod.Containers[0]
}

// flagValue returns the value of --name=value in args.
func flagValue(t *testing.T, args []string, name string) string {
	t.Helper()
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
	}
	t.Fatalf("no %s= in %v", name, args)
	return ""
}
