/**
 * A request as one readable line for a failure report: JSON with long strings, byte arrays and long lists
 * abbreviated (their content is rebuilt exactly from the seed and index), control characters escaped.
 */
export function requestText(messages: unknown[]): string {
  const text = JSON.stringify(messages.length === 1 ? messages[0] : messages, (_key, value: unknown) => {
    if (typeof value === "string" && value.length > 80) return `${value.slice(0, 24)}…(${value.length} chars)`;
    if (value instanceof Uint8Array) return `<${value.length} bytes>`;
    if (Array.isArray(value) && value.length > 4) return [...value.slice(0, 2), `…(${value.length} items)`];
    if (typeof value === "number" && !Number.isFinite(value)) return String(value);
    return value;
  });
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
}
