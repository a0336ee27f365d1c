// A line diff (longest common subsequence, with the common head and tail cut
// off first, so two versions of a large bot that differ in a few lines are cheap).
export interface DiffLine {
  kind: "same" | "add" | "del";
  text: string;
  left?: number; // line number in a
  right?: number; // line number in b
}

export function diffLines(a: string[], b: string[]): DiffLine[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const x = a.slice(head, a.length - tail);
  const y = b.slice(head, b.length - tail);
  const out: DiffLine[] = [];
  for (let i = 0; i < head; i++) out.push({ kind: "same", text: a[i], left: i + 1, right: i + 1 });
  const n = x.length;
  const m = y.length;
  if (n * m > 25_000_000) {
    // too large for the table: everything in the middle changed
    x.forEach((text, i) => out.push({ kind: "del", text, left: head + i + 1 }));
    y.forEach((text, j) => out.push({ kind: "add", text, right: head + j + 1 }));
  } else {
    const table: Uint32Array[] = [];
    for (let i = 0; i <= n; i++) table.push(new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--)
      for (let j = m - 1; j >= 0; j--)
        table[i][j] = x[i] === y[j] ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && x[i] === y[j]) {
        out.push({ kind: "same", text: x[i], left: head + i + 1, right: head + j + 1 });
        i++;
        j++;
      } else if (i < n && (j === m || table[i + 1][j] >= table[i][j + 1])) {
        out.push({ kind: "del", text: x[i], left: head + i + 1 });
        i++;
      } else {
        out.push({ kind: "add", text: y[j], right: head + j + 1 });
        j++;
      }
    }
  }
  for (let k = tail; k > 0; k--) {
    const left = a.length - k;
    const right = b.length - k;
    out.push({ kind: "same", text: a[left], left: left + 1, right: right + 1 });
  }
  return out;
}

/** Side-by-side rows: a deletion next to the addition that replaces it. */
export interface SideRow {
  left?: DiffLine;
  right?: DiffLine;
}

export function sideBySide(lines: DiffLine[]): SideRow[] {
  const rows: SideRow[] = [];
  let dels: DiffLine[] = [];
  let adds: DiffLine[] = [];
  const flush = () => {
    for (let k = 0; k < Math.max(dels.length, adds.length); k++) rows.push({ left: dels[k], right: adds[k] });
    dels = [];
    adds = [];
  };
  for (const line of lines) {
    if (line.kind === "del") dels.push(line);
    else if (line.kind === "add") adds.push(line);
    else {
      flush();
      rows.push({ left: line, right: line });
    }
  }
  flush();
  return rows;
}

/** Only the changed rows with `context` unchanged rows around them (null marks a gap). */
export function folded(rows: SideRow[], context = 3): Array<SideRow | null> {
  const keep = new Array(rows.length).fill(false);
  rows.forEach((row, i) => {
    if (row.left?.kind !== "same" || row.right?.kind !== "same")
      for (let k = Math.max(0, i - context); k <= Math.min(rows.length - 1, i + context); k++) keep[k] = true;
  });
  const out: Array<SideRow | null> = [];
  rows.forEach((row, i) => {
    if (keep[i]) out.push(row);
    else if (!out.length || out[out.length - 1] !== null) out.push(null);
  });
  return out;
}
