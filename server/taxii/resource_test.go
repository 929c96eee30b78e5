package taxii

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestEnvelopeAppendJSON checks that the envelope's own encoder writes
// exactly what encoding/json writes (HTML escaping off) for compact
// objects, with and without next and objects.
func TestEnvelopeAppendJSON(t *testing.T) {
	objs := []json.RawMessage{
		json.RawMessage(`{"type":"malware","id":"malware--c93fccb1-e8e8-42cf-ae33-2ad1d183913a","name":"<b>&amp;\u2028"}`),
		json.RawMessage("{\"type\":\"note\",\"content\":\"line\u2028separator\u2029 and <tags>\"}"),
		json.RawMessage(`{"type":"indicator","pattern":"[x:y = 'a\"b']"}`),
	}
	for _, e := range []Envelope{
		{},
		{More: true, Next: "a<b>&c\"d\\e\u00e9"},
		{Objects: objs},
		{More: true, Next: "1", Objects: objs[:1]},
	} {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(e); err != nil {
			t.Fatal(err)
		}
		if got := e.AppendJSON(nil); !bytes.Equal(got, buf.Bytes()) {
			t.Errorf("AppendJSON = %s\nencoding/json = %s", got, buf.Bytes())
		}
	}
}

func BenchmarkEnvelopeAppendJSON(b *testing.B) {
	obj := json.RawMessage(`{"type":"attack-pattern","spec_version":"2.1","id":"attack-pattern--0042a9f5-f053-4769-b3ef-9ad018dfa298","created":"2020-01-14T17:18:32.126Z","modified":"2025-10-24T17:48:19.059Z","name":"Extra Window Memory Injection","description":"Adversaries may inject malicious code into process via Extra Window Memory (EWM) in order to evade process-based defenses as well as possibly elevate privileges."}`)
	e := Envelope{More: true, Next: "100", Objects: make([]json.RawMessage, 100)}
	for i := range e.Objects {
		e.Objects[i] = obj
	}
	b.Run("AppendJSON", func(b *testing.B) {
		var buf []byte
		for b.Loop() {
			buf = e.AppendJSON(buf[:0])
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		for b.Loop() {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			_ = enc.Encode(e)
		}
	})
}
