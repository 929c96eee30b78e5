package tlsh_test

import (
	"fmt"
	"strings"

	"github.com/culprit-cti/culprit/tlsh"
)

const report = `The wiper overwrote the master boot record and the first blocks of every
fixed drive, then rebooted the host. It reached its targets over SMB with
credentials harvested earlier, and reported progress to three hard-coded
command and control addresses over port 8080. The sample was signed with a
certificate stolen from the victim, and shared its disk-wiping component, a
commercial raw disk driver, with tools reported in earlier intrusions.`

func Example() {
	a, err := tlsh.Sum([]byte(report))
	if err != nil {
		fmt.Println(err)
		return
	}
	edited := strings.Replace(report, "three", "four", 1)
	b, err := tlsh.Sum([]byte(edited))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(a)
	// Short inputs are sensitive: one word changed in these 480 bytes moves
	// the q1 ratio by 8 (84 of the 106). Longer inputs tolerate far larger
	// edits.
	fmt.Println(tlsh.Distance(a, b, true))
	// Output:
	// T12CF0DC3317582BB937D203C4A56F02F0F3824568B2FB4600A84E6B6CA18903484B72D0
	// 106
}

func ExampleIndex() {
	idx := tlsh.NewIndex()
	for id, s := range []string{
		"T11454F120A8989D5CF8CAC182F93A3E8D475C317365C5B4911C3C4A9CA5438F5E8FB6EB",
		"T109F05A198CC69A5A4F0F9380A9EE93F2B927CF42089EA74276DC5F0BB2D34E68114448",
		"T1301124198C869A5A4F0F9380A9AE92F2B9278F42089EA34272885F0FB2D34E6911444C",
	} {
		d, err := tlsh.Parse(s)
		if err != nil {
			fmt.Println(err)
			return
		}
		if err := idx.Add(d, uint32(id)); err != nil {
			fmt.Println(err)
			return
		}
	}
	q, _ := tlsh.Parse("T109F05A198CC69A5A4F0F9380A9EE93F2B927CF42089EA74276DC5F0BB2D34E68114449")
	for _, m := range idx.Search(q, 150, false) {
		fmt.Println(m.ID, m.Distance)
	}
	// Output:
	// 1 1
	// 2 98
}
