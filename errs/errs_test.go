package errs

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"
)

func TestKindSurvivesWrapping(t *testing.T) {
	base := E(NotFound, "no case %q", "c1")
	wrapped := fmt.Errorf("case show: %w", base)
	if got := KindOf(wrapped); got != NotFound {
		t.Errorf("KindOf(%v) = %v, want %v", wrapped, got, NotFound)
	}
	if !errors.Is(wrapped, Of(NotFound)) {
		t.Errorf("errors.Is(%v, Of(NotFound)) = false, want true", wrapped)
	}
	if errors.Is(wrapped, Of(Invalid)) {
		t.Errorf("errors.Is(%v, Of(Invalid)) = true, want false", wrapped)
	}
	if got, want := wrapped.Error(), `case show: no case "c1"`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestWrapKeepsCause(t *testing.T) {
	err := Wrap(Unavailable, fs.ErrPermission, "open %s", "k.db")
	if !errors.Is(err, fs.ErrPermission) {
		t.Errorf("errors.Is(%v, fs.ErrPermission) = false, want true", err)
	}
	if got, want := err.Error(), "open k.db: permission denied"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if Wrap(Invalid, nil, "x") != nil {
		t.Error("Wrap(nil) != nil")
	}
}

func TestKindOf(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want Kind
	}{
		{nil, Internal},
		{errors.New("plain"), Internal},
		{E(TooLarge, "big"), TooLarge},
		{fmt.Errorf("a: %w", Wrap(Conflict, errors.New("b"), "c")), Conflict},
		// The outermost kind wins: context added above may reclassify.
		{Wrap(Invalid, E(NotFound, "inner"), "outer"), Invalid},
	} {
		if got := KindOf(tc.err); got != tc.want {
			t.Errorf("KindOf(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
	if got := Kind(99).String(); got != "kind(99)" {
		t.Errorf("Kind(99).String() = %q", got)
	}
}
