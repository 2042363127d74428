/** Continents of ISO 3166-1 countries (GeoNames' assignment, which GeoIP databases also use). */
const CONTINENT_MEMBERS: Record<string, string> = {
  AF: 'DZ AO BJ BW BF BI CV CM CF TD KM CD CG CI DJ EG GQ ER SZ ET GA GM GH GN GW KE LS LR LY MG MW ML MR MU YT MA MZ NA NE NG RE RW SH ST SN SC SL SO ZA SS SD TZ TG TN UG EH ZM ZW',
  AN: 'AQ BV GS HM TF',
  AS: 'AF AM AZ BH BD BT BN KH CN GE HK IN ID IR IQ IL JP JO KZ KW KG LA LB MO MY MV MN MM NP KP OM PK PS PH QA SA SG KR LK SY TW TJ TH TL TR TM AE UZ VN YE IO CC CX',
  EU: 'AD AL AT AX BA BE BG BY CH CY CZ DE DK EE ES FI FO FR GB GG GI GR HR HU IE IM IS IT JE LI LT LU LV MC MD ME MK MT NL NO PL PT RO RS RU SE SI SJ SK SM UA VA XK',
  NA: 'AG AI AW BB BL BM BQ BS BZ CA CR CU CW DM DO GD GL GP GT HN HT JM KN KY LC MF MQ MS MX NI PA PM PR SV SX TC TT US VC VG VI',
  OC: 'AS AU CK FJ FM GU KI MH MP NC NF NR NU NZ PF PG PN PW SB TK TO TV UM VU WF WS',
  SA: 'AR BO BR CL CO EC FK GF GY PE PY SR UY VE',
};

export const CONTINENT_NAMES = new Map<string, string>([
  ['AF', 'Africa'],
  ['AN', 'Antarctica'],
  ['AS', 'Asia'],
  ['EU', 'Europe'],
  ['NA', 'North America'],
  ['OC', 'Oceania'],
  ['SA', 'South America'],
]);

const continentOf = new Map<string, string>();
for (const [continent, members] of Object.entries(CONTINENT_MEMBERS)) for (const c of members.split(' ')) continentOf.set(c, continent);

export function continentCode(countryIso: string): string | undefined {
  return continentOf.get(countryIso);
}

let displayNames: Intl.DisplayNames | undefined | null;
const nameCache = new Map<string, string | undefined>();

/** English country name (from Intl/CLDR), e.g. "United States"; undefined when unknown. */
export function countryName(countryIso: string): string | undefined {
  if (nameCache.has(countryIso)) return nameCache.get(countryIso);
  if (displayNames === undefined) {
    try {
      displayNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
    } catch {
      displayNames = null;
    }
  }
  let name: string | undefined;
  try {
    name = displayNames?.of(countryIso) ?? undefined;
  } catch {
    name = undefined;
  }
  if (nameCache.size < 1000) nameCache.set(countryIso, name);
  return name;
}
