package assess

import "testing"

func TestNamedAs(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"Disk Structure Wipe", `named "Disk Structure Wipe"`},
		{"Disk\r\nStructure  Wipe", `named "Disk Structure Wipe"`},
		{"Disk\tStructure\nWipe", `named "Disk Structure Wipe"`},
		{`Say "Wipe"`, `named "Say \"Wipe\""`},
	} {
		if got := NamedAs(c.text); got != c.want {
			t.Errorf("NamedAs(%q) = %s, want %s", c.text, got, c.want)
		}
	}
}
