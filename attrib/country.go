package attrib

import (
	"strings"

	"github.com/culprit-cti/culprit/kb"
)

// countries maps ISO 3166-1 alpha-2 codes to the normalised English names
// used by MISP galaxies (x_misp_cfr_suspected_victims). It covers the
// countries most often named as victims; other names are compared as
// written (normalised).
var countries = map[string]string{
	"AE": "unitedarabemirates", "AF": "afghanistan", "AU": "australia", "AT": "austria",
	"BE": "belgium", "BR": "brazil", "BD": "bangladesh", "CA": "canada", "CH": "switzerland",
	"CN": "china", "CZ": "czechrepublic", "DE": "germany", "DK": "denmark", "EE": "estonia",
	"EG": "egypt", "ES": "spain", "FI": "finland", "FR": "france", "GB": "unitedkingdom",
	"GE": "georgia", "GR": "greece", "HK": "hongkong", "ID": "indonesia", "IL": "israel",
	"IN": "india", "IQ": "iraq", "IR": "iran", "IT": "italy", "JO": "jordan", "JP": "japan",
	"KP": "northkorea", "KR": "southkorea", "KW": "kuwait", "KZ": "kazakhstan", "LB": "lebanon",
	"MX": "mexico", "MY": "malaysia", "NL": "netherlands", "NO": "norway", "NZ": "newzealand",
	"PH": "philippines", "PK": "pakistan", "PL": "poland", "PS": "palestine", "QA": "qatar",
	"RO": "romania", "RU": "russia", "SA": "saudiarabia", "SE": "sweden", "SG": "singapore",
	"SY": "syria", "TH": "thailand", "TR": "turkey", "TW": "taiwan", "UA": "ukraine",
	"US": "unitedstates", "VN": "vietnam", "YE": "yemen", "ZA": "southafrica",
}

// countryCode turns a country code or name into the key victimology uses:
// the normalised English name.
func countryCode(s string) string {
	s = strings.TrimSpace(s)
	if len(s) == 2 {
		if n, ok := countries[strings.ToUpper(s)]; ok {
			return n
		}
	}
	switch n := kb.Normalize(s); n {
	case "usa", "unitedstatesofamerica":
		return "unitedstates"
	case "uk", "greatbritain":
		return "unitedkingdom"
	case "korearepublicof", "republicofkorea":
		return "southkorea"
	case "russianfederation":
		return "russia"
	default:
		return n
	}
}
