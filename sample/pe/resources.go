package pe

import (
	"fmt"
	"slices"
	"unicode/utf16"
)

// ResourceType summarises the resources of one type (RT_ICON, RT_VERSION,
// a named custom type, ...): how many there are, their total size and the
// languages they are tagged with. Resource languages are a classic
// attribution clue (the language of the developer's Windows).
type ResourceType struct {
	Type      string   `json:"type"`
	Count     int      `json:"count"`
	Size      int64    `json:"size"`
	Languages []string `json:"languages,omitempty"` // e.g. "0x0412 ko-KR", sorted
}

// resource walk state: directories already entered (cycle guard) and the
// number of leaves seen.
type resWalk struct {
	base    int64
	seen    map[int64]bool
	leaves  int
	visits  int // directory entries examined, leaves or not
	stopped bool
	byType  map[string]*ResourceType
	order   []string
	typeKey string
}

func (p *parser) resources() {
	d := p.dir(dirResource)
	if d.VA == 0 {
		return
	}
	base, ok := p.offset(d.VA)
	if !ok {
		p.warnf("resource directory at rva 0x%x: not in the file", d.VA)
		return
	}
	w := &resWalk{base: base, seen: map[int64]bool{}, byType: map[string]*ResourceType{}}
	p.resourceDir(w, base, 0)
	for _, k := range w.order {
		rt := w.byType[k]
		slices.Sort(rt.Languages)
		p.f.Resources = append(p.f.Resources, *rt)
	}
}

// resourceDir walks one IMAGE_RESOURCE_DIRECTORY at off; depth 0 is the
// type level, 1 the name level, 2 the language level.
func (p *parser) resourceDir(w *resWalk, off int64, depth int) {
	if w.seen[off] {
		p.warnf("resource directory at 0x%x: cycle, skipped", off)
		return
	}
	w.seen[off] = true
	if depth > 2 {
		p.warnf("resource directory at 0x%x: nested deeper than 3 levels, skipped", off)
		return
	}
	h, err := p.r.Bytes(off, 16)
	if err != nil {
		p.warnf("resource directory at 0x%x: %v", off, err)
		return
	}
	n := int(le.Uint16(h[12:])) + int(le.Uint16(h[14:]))
	entries := p.r.Upto(off+16, n*8)
	if len(entries) < n*8 {
		p.warnf("resource directory at 0x%x: %d entries declared, %d in the file", off, n, len(entries)/8)
	}
	for i := 0; 8*i+8 <= len(entries); i++ {
		if w.leaves >= MaxResources || w.visits >= 4*MaxResources {
			if !w.stopped {
				p.warnf("resource directory at 0x%x: more than %d resources, stopped", off, MaxResources)
				w.stopped = true
			}
			return
		}
		w.visits++
		nameField, target := le.Uint32(entries[8*i:]), le.Uint32(entries[8*i+4:])
		if depth == 0 {
			w.typeKey = p.resourceTypeName(w, nameField)
		}
		if target&0x80000000 != 0 {
			p.resourceDir(w, w.base+int64(target&0x7fffffff), depth+1)
			continue
		}
		// A data entry: IMAGE_RESOURCE_DATA_ENTRY.
		w.leaves++
		rt := w.byType[w.typeKey]
		if rt == nil {
			rt = &ResourceType{Type: w.typeKey}
			w.byType[w.typeKey] = rt
			w.order = append(w.order, w.typeKey)
		}
		rt.Count++
		if de := p.r.Upto(w.base+int64(target), 8); len(de) == 8 {
			rt.Size += int64(le.Uint32(de[4:]))
		} else {
			p.warnf("resource data entry at 0x%x: past end of file", w.base+int64(target))
		}
		if depth == 2 && nameField&0x80000000 == 0 {
			lang := languageName(uint16(nameField))
			if !slices.Contains(rt.Languages, lang) {
				rt.Languages = append(rt.Languages, lang)
			}
		}
	}
}

func (p *parser) resourceTypeName(w *resWalk, nameField uint32) string {
	if nameField&0x80000000 != 0 {
		off := w.base + int64(nameField&0x7fffffff)
		b := p.r.Upto(off, 2)
		if len(b) < 2 {
			return fmt.Sprintf("name@0x%x", off)
		}
		n := int(le.Uint16(b))
		u := p.r.Upto(off+2, 2*min(n, 256))
		units := make([]uint16, len(u)/2)
		for i := range units {
			units[i] = le.Uint16(u[2*i:])
		}
		return printable([]byte(string(utf16.Decode(units))))
	}
	if name, ok := resourceTypes[nameField]; ok {
		return name
	}
	return fmt.Sprintf("%d", nameField)
}

var resourceTypes = map[uint32]string{
	1: "RT_CURSOR", 2: "RT_BITMAP", 3: "RT_ICON", 4: "RT_MENU", 5: "RT_DIALOG",
	6: "RT_STRING", 7: "RT_FONTDIR", 8: "RT_FONT", 9: "RT_ACCELERATOR", 10: "RT_RCDATA",
	11: "RT_MESSAGETABLE", 12: "RT_GROUP_CURSOR", 14: "RT_GROUP_ICON", 16: "RT_VERSION",
	17: "RT_DLGINCLUDE", 19: "RT_PLUGPLAY", 20: "RT_VXD", 21: "RT_ANICURSOR",
	22: "RT_ANIICON", 23: "RT_HTML", 24: "RT_MANIFEST",
}

// languageName formats a Windows LANGID as hex, with its locale tag for
// languages that often matter in attribution.
func languageName(id uint16) string {
	tags := map[uint16]string{
		0x0000: "neutral", 0x0400: "process-default", 0x0800: "system-default",
		0x0409: "en-US", 0x0809: "en-GB", 0x0412: "ko-KR", 0x0812: "ko-KP",
		0x0804: "zh-CN", 0x0404: "zh-TW", 0x0c04: "zh-HK", 0x0419: "ru-RU",
		0x0422: "uk-UA", 0x0429: "fa-IR", 0x0401: "ar-SA", 0x040d: "he-IL",
		0x0411: "ja-JP", 0x0407: "de-DE", 0x040c: "fr-FR", 0x0c0a: "es-ES",
		0x0410: "it-IT", 0x0416: "pt-BR", 0x041f: "tr-TR", 0x042a: "vi-VN",
	}
	if t, ok := tags[id]; ok {
		return fmt.Sprintf("0x%04x %s", id, t)
	}
	return fmt.Sprintf("0x%04x", id)
}
