// Characters XML 1.0 forbids even when escaped: C0 controls but tab, LF, CR; lone surrogates; U+FFFE/U+FFFF.
const INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Escapes text for an XML attribute value or element content, dropping characters XML cannot hold. */
export function escapeXml(text: string): string {
  return text.replace(INVALID, '\uFFFD').replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

/** An element with escaped attributes and already-rendered children (self-closing when there are none; one per line when `block`). */
export function element(
  name: string,
  attrs: Record<string, string | number | undefined>,
  children: string[] = [],
  block = false,
): string {
  const a = Object.entries(attrs)
    .filter((kv): kv is [string, string | number] => kv[1] !== undefined)
    .map(([k, v]) => ` ${k}="${escapeXml(String(v))}"`)
    .join('');
  if (children.length === 0) return `<${name}${a}/>`;
  return block ? `<${name}${a}>\n${children.join('\n')}\n</${name}>` : `<${name}${a}>${children.join('')}</${name}>`;
}
