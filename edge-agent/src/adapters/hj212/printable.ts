/** Quotes untrusted text for an error message: control bytes escaped, at most `max` characters. */
export function printable(text: string, max = 40): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control bytes are exactly what must be escaped
  const escaped = cut.replace(/[\\"\u0000-\u001f\u007f-\u009f]/g, (c) => {
    if (c === "\\" || c === '"') return `\\${c}`;
    if (c === "\r") return "\\r";
    if (c === "\n") return "\\n";
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`;
  });
  return `"${escaped}"`;
}
