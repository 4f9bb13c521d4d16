package datagen

// state is one Nigerian state a ward can belong to, with the two facts the
// indicator model needs: where it sits on the north–south rainfall gradient
// and how urban its wards tend to be.
type state struct {
	name      string
	code      string // the ISO 3166-2:NG suffix used in ward codes
	south     float64
	urban     float64
	elevation float64 // typical ward elevation in metres
	lgas      []string
}

// states are the states wards are drawn from, from the Sahel to the coast.
var states = [...]state{
	{"Yobe", "YO", 0.00, 0.20, 350, []string{"Damaturu", "Potiskum", "Nguru", "Bade", "Fika"}},
	{"Katsina", "KT", 0.05, 0.25, 520, []string{"Katsina", "Batagarawa", "Daura", "Funtua", "Malumfashi"}},
	{"Kano", "KN", 0.15, 0.45, 480, []string{"Dala", "Fagge", "Gwale", "Kano Municipal", "Nassarawa", "Tarauni", "Ungogo", "Kumbotso"}},
	{"Kaduna", "KD", 0.30, 0.40, 620, []string{"Kaduna North", "Kaduna South", "Zaria", "Chikun", "Igabi", "Sabon Gari"}},
	{"Adamawa", "AD", 0.35, 0.25, 400, []string{"Yola North", "Yola South", "Mubi North", "Numan", "Girei"}},
	{"Niger", "NI", 0.40, 0.25, 250, []string{"Bida", "Chanchaga", "Suleja", "Bosso", "Lapai"}},
	{"Taraba", "TA", 0.50, 0.20, 300, []string{"Jalingo", "Wukari", "Takum", "Gashaka"}},
	{"Kwara", "KW", 0.55, 0.35, 300, []string{"Ilorin West", "Ilorin East", "Offa", "Baruten"}},
	{"Osun", "OS", 0.75, 0.40, 350, []string{"Osogbo", "Ife Central", "Ilesa East", "Iwo", "Ede North"}},
	{"Delta", "DE", 0.95, 0.40, 20, []string{"Warri South", "Oshimili South", "Ughelli North", "Sapele"}},
	{"Rivers", "RI", 0.95, 0.50, 10, []string{"Port Harcourt", "Obio/Akpor", "Eleme", "Bonny"}},
	{"Lagos", "LA", 1.00, 0.80, 15, []string{"Ikeja", "Surulere", "Eti-Osa", "Alimosho", "Epe"}},
}

// wardPrefixes and wardRoots combine into ward names; the empty prefix makes
// bare roots the most common form, as in real ward lists.
var (
	wardPrefixes = [...]string{"", "", "", "Sabon ", "Tudun ", "Unguwar ", "Kofar ", "Gidan ", "Oke ", "Isale "}
	wardRoots    = [...]string{
		"Wada", "Mata", "Gari", "Dawaki", "Nassarawa", "Kurna", "Rimi", "Gandu", "Jaji",
		"Bakin Ruwa", "Kuka", "Dorayi", "Sharada", "Zango", "Agege", "Ado", "Ifelodun",
		"Eko", "Amukoko", "Ajegunle", "Ogbete", "Rumuokoro", "Okrika", "Makera", "Dutse",
		"Kawo", "Badarawa", "Jimeta", "Karewa", "Gamawa", "Yelwa", "Lafia", "Ungwan Rogo",
	}
	// wardQualifiers are written in double quotes after a name, the way
	// ward lists tell apart two wards with the same name.
	wardQualifiers = [...]string{"A", "B", "C", "East", "West", "Old Town"}
)
