package attrib

import (
	"bufio"
	"encoding/gob"
	"fmt"
	"io"

	"github.com/culprit-cti/culprit/ssdeep"
	"github.com/culprit-cti/culprit/tlsh"
)

// The compiled form of a Knowledge, so that a process that attributes one
// case does not decode and index the whole knowledge base again: reading
// it back takes a fraction of NewKnowledge's time on the same knowledge.
// The form mirrors the index field by field; persistVersion changes with
// it, and a test fails when a field of the index is not mirrored.
const persistVersion = 1

// persistMagic opens the compiled form.
const persistMagic = "culprit-knowledge\n"

type pKnowledge struct {
	Version            int
	Actors             []pActor
	ActorBy            map[string]int
	Names              map[string][]int
	CampaignNames      map[string][]pCampaignRef
	Techs              []pTechnique
	Children           map[int][]int
	TechBy             map[string]int
	Sws                []pSoftware
	SwBy               map[string]int
	TechDF, SwDF       []float64
	TechDFn, SwDFn     float64
	TechNovel, SwNovel int
	MeanTechN, MeanSwN float64
	Iocs               map[string]map[int]string
	Samples            []pSample
	SectorDF           map[string]int
	CountryDF          map[string]int
	VictActs           int
}

type pActor struct {
	ID, Name, ExternalID string
	IDs, Aliases         []string
	Members              []Member
	Campaigns            []Campaign
	Links                []Link
	Techs                map[int]float64
	Direct               map[int]bool
	Sw                   map[int]float64
	TechN, SwN, Reports  float64
	Nb                   []pNeighbour
	Cites                map[string][]Citation
	Sectors, Country     map[string]bool
	HasVicts             bool
}

type pNeighbour struct {
	Actor int
	Sim   float64
}

type pCampaignRef struct {
	Actor, Conf  int
	Name, Target string
}

type pTechnique struct {
	ID, ExtID, Name string
	Parent          int
}

type pSoftware struct {
	ID, ExtID, Name, Typ string
	Techs                []int
}

type pSample struct {
	ID, Name, Family, FamilyPath string
	TLSH, SSDEEP                 string // digests as text, "" when absent
	Actors                       []int
}

// WriteTo writes the compiled form of k. The similarity index of known
// samples is not part of it: it is persisted by package similarity, and
// rebuilt from the samples when ReadKnowledge is given none.
func (k *Knowledge) WriteTo(w io.Writer) (int64, error) {
	p := pKnowledge{Version: persistVersion, ActorBy: k.actorBy, Names: k.names, CampaignNames: map[string][]pCampaignRef{},
		Children: k.children, TechBy: k.techBy, SwBy: k.swBy, TechDF: k.techDF, SwDF: k.swDF, TechDFn: k.techDFn, SwDFn: k.swDFn,
		TechNovel: k.techNovel, SwNovel: k.swNovel, MeanTechN: k.meanTechN, MeanSwN: k.meanSwN, Iocs: k.iocs,
		SectorDF: k.sectorDF, CountryDF: k.countryDF, VictActs: k.victActs}
	for _, a := range k.actors {
		pa := pActor{ID: a.ID, Name: a.Name, ExternalID: a.ExternalID, IDs: a.IDs, Aliases: a.Aliases, Members: a.Members,
			Campaigns: a.Campaigns, Links: a.Links, Techs: a.techs, Direct: a.direct, Sw: a.sw, TechN: a.techN, SwN: a.swN,
			Reports: a.reports, Cites: a.cites, Sectors: a.sectors, Country: a.country, HasVicts: a.hasVicts}
		for _, n := range a.nb {
			pa.Nb = append(pa.Nb, pNeighbour{n.actor, n.sim})
		}
		p.Actors = append(p.Actors, pa)
	}
	for name, refs := range k.campaignNames {
		for _, r := range refs {
			p.CampaignNames[name] = append(p.CampaignNames[name], pCampaignRef{r.actor, r.conf, r.name, r.target})
		}
	}
	for _, t := range k.techs {
		p.Techs = append(p.Techs, pTechnique{t.id, t.extID, t.name, t.parent})
	}
	for _, s := range k.sws {
		p.Sws = append(p.Sws, pSoftware{s.id, s.extID, s.name, s.typ, s.techs})
	}
	for _, s := range k.samples {
		ps := pSample{ID: s.id, Name: s.name, Family: s.family, FamilyPath: s.familyPath, Actors: s.actors}
		if s.tlsh != nil {
			ps.TLSH = s.tlsh.String()
		}
		if s.ssdeep != nil {
			ps.SSDEEP = s.ssdeep.String()
		}
		p.Samples = append(p.Samples, ps)
	}
	cw := &countWriter{w: w}
	bw := bufio.NewWriter(cw)
	if _, err := bw.WriteString(persistMagic); err != nil {
		return cw.n, err
	}
	if err := gob.NewEncoder(bw).Encode(&p); err != nil {
		return cw.n, fmt.Errorf("encode knowledge: %w", err)
	}
	err := bw.Flush()
	return cw.n, err
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// ReadKnowledge reads what WriteTo wrote. opt.Samples, when set, is the
// persisted similarity index of the samples; without it the index is
// rebuilt. A form of another version, or damaged, is an error: the caller
// builds the knowledge anew.
func ReadKnowledge(r io.Reader, opt KnowledgeOptions) (*Knowledge, error) {
	br := bufio.NewReader(r)
	magic := make([]byte, len(persistMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != persistMagic {
		return nil, fmt.Errorf("read knowledge: not a compiled knowledge")
	}
	var p pKnowledge
	if err := gob.NewDecoder(br).Decode(&p); err != nil {
		return nil, fmt.Errorf("read knowledge: %w", err)
	}
	if p.Version != persistVersion {
		return nil, fmt.Errorf("read knowledge: version %d, not %d", p.Version, persistVersion)
	}
	k := &Knowledge{actorBy: p.ActorBy, names: p.Names, campaignNames: map[string][]campaignRef{},
		children: p.Children, techBy: p.TechBy, swBy: p.SwBy, techDF: p.TechDF, swDF: p.SwDF, techDFn: p.TechDFn, swDFn: p.SwDFn,
		techNovel: p.TechNovel, swNovel: p.SwNovel, meanTechN: p.MeanTechN, meanSwN: p.MeanSwN, iocs: p.Iocs,
		sectorDF: p.SectorDF, countryDF: p.CountryDF, victActs: p.VictActs}
	nonNil(&k.actorBy)
	nonNil(&k.techBy)
	nonNil(&k.swBy)
	nonNil(&k.sectorDF)
	nonNil(&k.countryDF)
	if k.names == nil {
		k.names = map[string][]int{}
	}
	if k.children == nil {
		k.children = map[int][]int{}
	}
	if k.iocs == nil {
		k.iocs = map[string]map[int]string{}
	}
	for _, pa := range p.Actors {
		a := &Actor{ID: pa.ID, Name: pa.Name, ExternalID: pa.ExternalID, IDs: pa.IDs, Aliases: pa.Aliases, Members: pa.Members,
			Campaigns: pa.Campaigns, Links: pa.Links, techs: pa.Techs, direct: pa.Direct, sw: pa.Sw, techN: pa.TechN, swN: pa.SwN,
			reports: pa.Reports, cites: pa.Cites, sectors: pa.Sectors, country: pa.Country, hasVicts: pa.HasVicts}
		// gob leaves empty maps nil; the engine writes none after the
		// build, but reads them, and reading a nil map is fine.
		for _, n := range pa.Nb {
			a.nb = append(a.nb, neighbour{n.Actor, n.Sim})
		}
		k.actors = append(k.actors, a)
	}
	for name, refs := range p.CampaignNames {
		for _, r := range refs {
			k.campaignNames[name] = append(k.campaignNames[name], campaignRef{r.Actor, r.Conf, r.Name, r.Target})
		}
	}
	for _, t := range p.Techs {
		k.techs = append(k.techs, technique{t.ID, t.ExtID, t.Name, t.Parent})
	}
	for _, s := range p.Sws {
		k.sws = append(k.sws, software{s.ID, s.ExtID, s.Name, s.Typ, s.Techs})
	}
	for _, ps := range p.Samples {
		s := knownSample{id: ps.ID, name: ps.Name, family: ps.Family, familyPath: ps.FamilyPath, actors: ps.Actors}
		if ps.TLSH != "" {
			d, err := tlsh.Parse(ps.TLSH)
			if err != nil {
				return nil, fmt.Errorf("read knowledge: sample %s: %w", ps.ID, err)
			}
			s.tlsh = &d
		}
		if ps.SSDEEP != "" {
			d, err := ssdeep.Parse(ps.SSDEEP)
			if err != nil {
				return nil, fmt.Errorf("read knowledge: sample %s: %w", ps.ID, err)
			}
			s.ssdeep = &d
		}
		k.samples = append(k.samples, s)
	}
	k.indexSamples(opt.Samples)
	return k, nil
}

func nonNil(m *map[string]int) {
	if *m == nil {
		*m = map[string]int{}
	}
}
