package web

import "testing"

func TestCount(t *testing.T) {
	tests := []struct {
		n    int
		want string
	}{
		{0, "0 campaigns"},
		{1, "1 campaign"},
		{2, "2 campaigns"},
		{1001, "1001 campaigns"},
	}
	for _, tt := range tests {
		if got := count(tt.n, "campaign", "campaigns"); got != tt.want {
			t.Errorf("count(%d, campaign, campaigns) = %q, want %q", tt.n, got, tt.want)
		}
	}
}
