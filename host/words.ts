// A command line split into words the way a shell does it, so the prompt can
// take what people type: "…" and '…' group (and are not part of the value),
// "" is an empty word, a backslash escapes the next character outside single
// quotes. Each word keeps where it started, for commands that want the rest
// of the line as it was typed (Execute arguments carry their own quotes).

export interface Words {
  words: string[];
  /** Offset in the line where each word starts. */
  starts: number[];
}

/** The words of `line`, or a reason (an unterminated quote, a trailing backslash). */
export function splitWords(line: string): Words | { error: string } {
  const words: string[] = [];
  const starts: number[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i]!)) i++;
    if (i >= line.length) break;
    starts.push(i);
    let w = '';
    while (i < line.length && !/\s/.test(line[i]!)) {
      const c = line[i]!;
      if (c === "'") {
        const end = line.indexOf("'", i + 1);
        if (end < 0) return { error: "unterminated ' quote" };
        w += line.slice(i + 1, end);
        i = end + 1;
      } else if (c === '"') {
        i++;
        for (;;) {
          if (i >= line.length) return { error: 'unterminated " quote' };
          const d = line[i]!;
          if (d === '"') {
            i++;
            break;
          }
          if (d === '\\' && i + 1 < line.length && (line[i + 1] === '"' || line[i + 1] === '\\')) {
            w += line[i + 1];
            i += 2;
            continue;
          }
          w += d;
          i++;
        }
      } else if (c === '\\') {
        if (i + 1 >= line.length) return { error: 'a backslash at the end of the line' };
        w += line[i + 1];
        i += 2;
      } else {
        w += c;
        i++;
      }
    }
    words.push(w);
  }
  return { words, starts };
}
