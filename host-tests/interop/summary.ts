// The table an interop suite prints at its end: each step, pass or fail, how
// long it took and a note (the step's own answer, or the first line of its failure).

interface Row {
  step: string;
  status: 'pass' | 'FAIL' | 'skip';
  ms: number;
  note: string;
}

export class StepSummary {
  private readonly rows: Row[] = [];

  /** Runs one step, records it with its duration, rethrows its failure for mocha. */
  async step(name: string, body: () => Promise<string | void>): Promise<void> {
    const t0 = Date.now();
    try {
      const note = (await body()) ?? '';
      this.rows.push({ step: name, status: 'pass', ms: Date.now() - t0, note });
    } catch (e) {
      this.rows.push({
        step: name,
        status: 'FAIL',
        ms: Date.now() - t0,
        note: String((e as Error).message)
          .split('\n')[0]!
          .slice(0, 100),
      });
      throw e;
    }
  }

  /** A step that could not run here (a missing peer); counted apart from passes. */
  skip(name: string, why: string): void {
    this.rows.push({ step: name, status: 'skip', ms: 0, note: why });
  }

  /** Prints the table under `title`, then "<what> steps: n pass, m fail"; nothing when no step ran. */
  print(title: string, what: string): void {
    if (this.rows.length === 0) return;
    const w = Math.max(4, ...this.rows.map((r) => r.step.length));
    console.log(`\n      ${title}`);
    console.log(`      ${'step'.padEnd(w)}  ok    ${'ms'.padStart(6)}  note`);
    for (const r of this.rows) console.log(`      ${r.step.padEnd(w)}  ${r.status}  ${String(r.ms).padStart(6)}  ${r.note}`);
    const count = (status: Row['status']) => this.rows.filter((r) => r.status === status).length;
    const skipped = count('skip');
    console.log(`      ${what} steps: ${count('pass')} pass, ${count('FAIL')} fail${skipped ? `, ${skipped} skipped` : ''}\n`);
  }
}
