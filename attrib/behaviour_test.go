package attrib

import (
	"math"
	"testing"
	"time"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestParseReference(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Reference
		when time.Time
	}{
		{"full", "Reichel, D. (2021, February 19). IronNetInjector: Turla’s New Malware Loading Tool. Retrieved February 24, 2021.",
			Reference{Published: day(2021, 2, 19), Precision: 3, Retrieved: day(2021, 2, 24), Title: "ironnetinjector turla s new malware loading tool"}, day(2021, 2, 19)},
		{"month only", "PwC and BAE Systems. (2017, April). Operation Cloud Hopper. Retrieved April 5, 2017.",
			Reference{Published: day(2017, 4, 1), Precision: 2, Retrieved: day(2017, 4, 5), Title: "operation cloud hopper"}, day(2017, 4, 1)},
		{"year only", "Cymmetria. (2016). Unveiling Patchwork - The Copy-Paste APT. Retrieved August 3, 2016.",
			Reference{Published: day(2016, 1, 1), Precision: 1, Retrieved: day(2016, 8, 3), Title: "unveiling patchwork the copy paste apt"}, day(2016, 1, 1)},
		{"abbreviated month", "X. (2019, Sept. 3). T. Retrieved Oct. 4, 2019.",
			Reference{Published: day(2019, 9, 3), Precision: 3, Retrieved: day(2019, 10, 4), Title: "t"}, day(2019, 9, 3)},
		{"no date", "Secureworks CTU. (n.d.). IRON HUNTER. Retrieved February 22, 2022.",
			Reference{Retrieved: day(2022, 2, 22)}, day(2022, 2, 22)},
		{"nothing", "a vendor page", Reference{}, time.Time{}},
		{"impossible day", "A. (2020, February 31). T. Retrieved March 1, 2020.",
			Reference{Published: day(2020, 2, 1), Precision: 2, Retrieved: day(2020, 3, 1), Title: "t"}, day(2020, 2, 1)},
		{"unknown month", "A. (2020, Spring). T.", Reference{Published: day(2020, 1, 1), Precision: 1, Title: "t"}, day(2020, 1, 1)},
		{"year before retrieval is clamped", "A. (2021). T. Retrieved March 1, 2020.",
			Reference{Published: day(2021, 1, 1), Precision: 1, Retrieved: day(2020, 3, 1), Title: "t"}, day(2020, 3, 1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ParseReference(tc.in)
			if got != tc.want {
				t.Errorf("ParseReference(%q) = %+v, want %+v", tc.in, got, tc.want)
			}
			if w := got.When(); !w.Equal(tc.when) {
				t.Errorf("ParseReference(%q).When() = %v, want %v", tc.in, w, tc.when)
			}
		})
	}
}

func TestRecency(t *testing.T) {
	asOf := day(2022, 1, 1)
	year := 365 * 24 * time.Hour
	conf := 80
	tests := []struct {
		name string
		got  float64
		want float64
	}{
		{"no half-life", recency(day(2000, 1, 1), asOf, 0), 1},
		{"one half-life", recency(asOf.Add(-year), asOf, year), 0.5},
		{"two half-lives", recency(asOf.Add(-2*year), asOf, year), 0.25},
		{"future", recency(asOf.Add(year), asOf, year), 1},
		{"undated", recency(time.Time{}, asOf, year), 1},
		{"confidence and age", attributedWeight(&conf, asOf.Add(-year), asOf, year), 0.4},
		{"no confidence stated", attributedWeight(nil, asOf, asOf, year), 1},
	}
	for _, tc := range tests {
		if math.Abs(tc.got-tc.want) > 1e-12 {
			t.Errorf("%s: got %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}

func FuzzParseReference(f *testing.F) {
	f.Add("Reichel, D. (2021, February 19). IronNetInjector. Retrieved February 24, 2021.")
	f.Add("(0000, Foo 99)")
	f.Fuzz(func(t *testing.T, s string) {
		c := ParseReference(s)
		if c.Precision < 0 || c.Precision > 3 || (c.Precision == 0) != c.Published.IsZero() {
			t.Errorf("ParseReference(%q) = %+v: precision and date disagree", s, c)
		}
	})
}
