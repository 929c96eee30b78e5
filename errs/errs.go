// Package errs gives culprit's errors a kind, so that every front end
// tells the user the same thing about the same failure: the CLI prints the
// message and picks its exit status, the server maps the kind to an HTTP
// status in one place.
//
// An error gets a kind where it arises, with the context the caller lacks:
//
//	return errs.E(errs.NotFound, "no case %q", id)
//	return errs.Wrap(errs.TooLarge, err, "import %s", path)
//
// Callers above add context with fmt.Errorf("...: %w", err) as usual; the
// kind survives wrapping. An error that never got a kind is Internal.
//
// The leaf packages (stix, tlsh, ssdeep) import nothing of culprit and keep
// their own sentinel errors; the packages that call them give those a kind.
package errs

import (
	"errors"
	"fmt"
)

// Kind classifies an error by what the user can do about it.
type Kind int

// Kinds of errors.
const (
	Internal    Kind = iota // a bug or an unexpected failure of something below
	Invalid                 // the input or a flag is malformed or out of range
	NotFound                // the named thing does not exist
	Conflict                // the request contradicts the current state (confirming twice, writing onto an input)
	TooLarge                // the input exceeds a size limit
	Unavailable             // a resource is busy or absent for now (a locked database, a missing server)
	Forbidden               // the caller may not do or see this
)

var kindNames = [...]string{
	Internal:    "internal error",
	Invalid:     "invalid input",
	NotFound:    "not found",
	Conflict:    "conflict",
	TooLarge:    "too large",
	Unavailable: "unavailable",
	Forbidden:   "forbidden",
}

func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return fmt.Sprintf("kind(%d)", int(k))
	}
	return kindNames[k]
}

// Error is an error with a kind. Its message is the message given to E or
// Wrap, followed by the wrapped error's when there is one.
type Error struct {
	Kind Kind
	Msg  string
	Err  error // the cause, or nil
}

func (e *Error) Error() string {
	switch {
	case e.Err == nil:
		return e.Msg
	case e.Msg == "":
		return e.Err.Error()
	default:
		return e.Msg + ": " + e.Err.Error()
	}
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, &Error{Kind: k}) true for any error of kind k,
// so tests and callers can ask for a kind without a sentinel per package.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Msg == "" && t.Err == nil && t.Kind == e.Kind
}

// E returns a new error of kind k with a formatted message.
func E(k Kind, format string, args ...any) error {
	return &Error{Kind: k, Msg: fmt.Sprintf(format, args...)}
}

// Wrap returns err with kind k and a formatted context message, or nil
// when err is nil. The cause stays reachable through errors.Is and
// errors.As.
func Wrap(k Kind, err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: k, Msg: fmt.Sprintf(format, args...), Err: err}
}

// KindOf returns the kind of the outermost *Error in err's chain, or
// Internal when there is none (and for nil).
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// Of returns a target for errors.Is that matches any error of kind k.
func Of(k Kind) error { return &Error{Kind: k} }
