import { createRequire } from 'node:module';

// XML from devices is parsed with fast-xml-parser (pure JS, maintained, no native parts) and
// with nothing that reaches outside the document: any DOCTYPE (the carrier of entity
// declarations, hence of billion-laughs expansion and XXE) is refused before parsing, and
// entities are not expanded. Hikvision firmwares send stray "&" (DOMAIN.md section 8): those
// are escaped first, as an XML parser would otherwise refuse the whole alert.

const DOCTYPE = /<!\s*(DOCTYPE|ENTITY)/i;
const STRAY_AMP = /&(?!(?:amp|lt|gt|quot|apos|#\d{1,7}|#x[0-9a-fA-F]{1,6});)/g;

// The parser is loaded on the first XML document, not at start: only ISAPI cameras send XML,
// and an idle gateway would otherwise hold the package (~1.4 MiB of heap, issue 18). require()
// keeps parseDeviceXml synchronous; the package ships a CommonJS build of the same version.
type Fxp = typeof import('fast-xml-parser');
const require = createRequire(import.meta.url);
let loaded: { parser: InstanceType<Fxp['XMLParser']>; validator: Fxp['XMLValidator'] } | undefined;

function xml() {
  if (loaded) return loaded;
  const { XMLParser, XMLValidator } = require('fast-xml-parser') as Fxp;
  const parser = new XMLParser({
    ignoreAttributes: true,
    removeNSPrefix: true,
    processEntities: false,
    htmlEntities: false,
    ignoreDeclaration: true,
    ignorePiTags: true,
    parseTagValue: true,
    trimValues: true,
    maxNestedTags: 32,
  });
  return (loaded = { parser, validator: XMLValidator });
}

export type XmlResult = { ok: true; value: Record<string, unknown> } | { ok: false; detail: string };

export function parseDeviceXml(text: string): XmlResult {
  if (DOCTYPE.test(text)) return { ok: false, detail: 'XML with a DOCTYPE or entity declaration is refused (no entity expansion, no external entities)' };
  const escaped = text.replace(STRAY_AMP, '&amp;');
  const { parser, validator } = xml();
  const valid = validator.validate(escaped);
  if (valid !== true) return { ok: false, detail: `malformed XML: ${valid.err.msg} (line ${valid.err.line})` };
  try {
    return { ok: true, value: parser.parse(escaped) as Record<string, unknown> };
  } catch (err) {
    return { ok: false, detail: `malformed XML: ${(err as Error).message.slice(0, 160)}` };
  }
}
