import { XMLParser, XMLValidator } from 'fast-xml-parser';

// XML from devices is parsed with fast-xml-parser (pure JS, maintained, no native parts) and
// with nothing that reaches outside the document: any DOCTYPE (the carrier of entity
// declarations, hence of billion-laughs expansion and XXE) is refused before parsing, and
// entities are not expanded. Hikvision firmwares send stray "&" (DOMAIN.md section 8): those
// are escaped first, as an XML parser would otherwise refuse the whole alert.

const DOCTYPE = /<!\s*(DOCTYPE|ENTITY)/i;
const STRAY_AMP = /&(?!(?:amp|lt|gt|quot|apos|#\d{1,7}|#x[0-9a-fA-F]{1,6});)/g;

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

export type XmlResult = { ok: true; value: Record<string, unknown> } | { ok: false; detail: string };

export function parseDeviceXml(text: string): XmlResult {
  if (DOCTYPE.test(text)) return { ok: false, detail: 'XML with a DOCTYPE or entity declaration is refused (no entity expansion, no external entities)' };
  const escaped = text.replace(STRAY_AMP, '&amp;');
  const valid = XMLValidator.validate(escaped);
  if (valid !== true) return { ok: false, detail: `malformed XML: ${valid.err.msg} (line ${valid.err.line})` };
  try {
    return { ok: true, value: parser.parse(escaped) as Record<string, unknown> };
  } catch (err) {
    return { ok: false, detail: `malformed XML: ${(err as Error).message.slice(0, 160)}` };
  }
}
