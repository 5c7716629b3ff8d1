// Whether the runtime knows an IANA time-zone name. Building an Intl.DateTimeFormat with a
// time zone pages in ICU's zone and locale data, ~8 MiB of RSS that an idle gateway whose
// devices send epoch or ISO times never needs (issue 18): the zone list answers for canonical
// names; only a name not on it (an alias such as UTC or Asia/Calcutta) builds a formatter.
export function isTimeZone(zone: string): boolean {
  if (Intl.supportedValuesOf('timeZone').includes(zone)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
