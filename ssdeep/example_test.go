package ssdeep_test

import (
	"fmt"

	"github.com/culprit-cti/culprit/ssdeep"
)

func ExampleCompare() {
	a, _ := ssdeep.Parse("384:z/vwkXbcC5Qjk/1pCkFd3VVl5n1zm41p4XLBDpnag1hsA25Y66Nf5LfmJX73c9KQ:j1Xbf5jCad3PlBZm41aXFD5WA2QZ5LyI")
	b, _ := ssdeep.Parse(`384:z/vwkXbcC5Qjk/1pCkFd3VVl5n1zm41p4XLBDpnag1hsA25Y66NC:j1Xbf5jCad3PlBZm41aXFD5WA2Q8,"c"`)
	fmt.Println(ssdeep.Compare(a, b))
	// Output: 91
}

func ExampleSum() {
	fmt.Println(ssdeep.Sum([]byte("Hello, World!\n")))
	// Output: 3:aaX8v:aV
}

func ExampleIndex() {
	x := ssdeep.NewIndex()
	for id, s := range []string{
		"384:z/vwkXbcC5Qjk/1pCkFd3VVl5n1zm41p4XLBDpnag1hsA25Y66Nf5LfmJX73c9KQ:j1Xbf5jCad3PlBZm41aXFD5WA2QZ5LyI",
		"384:z/vwkXbcC5Qjk/1pCkFd3VVl5n1zm41p4XLBDpnag1hsA25Y66NC:j1Xbf5jCad3PlBZm41aXFD5WA2Q8",
		"24576:cSahQzDAOUSGqluqLgJLyT4KgO+bBxB8tGRGdv:c275gJm8zFxfS",
	} {
		d, err := ssdeep.Parse(s)
		if err != nil {
			panic(err)
		}
		if err := x.Add(d, uint64(id)); err != nil {
			panic(err)
		}
	}
	q, _ := ssdeep.Parse("384:z/vwkXbcC5Qjk/1pCkFd3VVl5n1zm41p4XLBDpnag1hsA25Y66Nf5LfmJX73c9KS:j1Xbf5jCad3PlBZm41aXFD5WA2QZ5Lyq")
	for _, m := range x.Search(q, 50) {
		fmt.Println(m.ID, m.Score)
	}
	// Output:
	// 0 99
	// 1 91
}
