// Progress of long operator commands (migrations, demo data, benchmark data generation), for a
// person at a terminal or reading a CI log afterwards. It writes to stderr: stdout carries the
// server's JSON logs and the commands' results, which tools parse.
//
// Each step prints a start line and an end line with its elapsed time (and its count and rate when
// it counts something). A step that runs long without printing gets a "still …" line every
// `heartbeatMs`, so a quiet log still shows that work goes on — for a migration, which Prisma
// runs as one script, its name and elapsed time are all the progress there honestly is. On a
// terminal the current step's line is redrawn in place every `redrawMs` instead.

/** Where the lines go: process.stderr, or anything with write() (tests). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Time and periodic callbacks; tests inject a fake one. */
export interface ProgressClock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Calls `tick` every `ms` until the returned function is called. Must not keep the process alive. */
  every(ms: number, tick: () => void): () => void;
}

export const systemClock: ProgressClock = {
  now: () => performance.now(),
  every(ms, tick) {
    const timer = setInterval(tick, ms);
    timer.unref();
    return () => clearInterval(timer);
  },
};

export interface ProgressOptions {
  stream?: ProgressStream;
  clock?: ProgressClock;
  /** Redraw one line in place (default: whether the stream is a terminal). */
  tty?: boolean;
  /** Plain lines: a "still …" line after this long without news, and again every this long. */
  heartbeatMs?: number;
  /** Terminal: how often the current step's line is redrawn. */
  redrawMs?: number;
}

export interface StepOptions {
  /** How many units the step will count, when known ("12/40 files"). */
  total?: number;
  /** What it counts, plural ("files", "rows"). */
  unit?: string;
}

export const DEFAULT_HEARTBEAT_MS = 10_000;
const DEFAULT_REDRAW_MS = 1_000;
const CLEAR_LINE = "\r\x1b[2K";

/** A duration for people: 0.04 s, 3.2 s, 42 s, 2 min 05 s, 1 h 02 min. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 1) return `${s.toFixed(2)} s`;
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.floor(s)} s`;
  const whole = Math.floor(s);
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, "0")} s`;
  return `${Math.floor(whole / 3600)} h ${String(Math.floor((whole % 3600) / 60)).padStart(2, "0")} min`;
}

const count = (n: number) => n.toLocaleString("en");

function formatRate(perSecond: number): string {
  return perSecond >= 10 ? count(Math.round(perSecond)) : perSecond.toFixed(1);
}

export class Progress {
  private readonly stream: ProgressStream;
  private readonly clock: ProgressClock;
  readonly tty: boolean;
  private readonly heartbeatMs: number;
  private readonly redrawMs: number;
  /** Running steps, oldest first; a terminal shows the newest. */
  private readonly running: Step[] = [];
  /** Whether a redrawn line (no newline yet) is on the terminal. */
  private drawn = false;
  private stopRedraw: (() => void) | null = null;

  constructor(options: ProgressOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.clock = options.clock ?? systemClock;
    this.tty = options.tty ?? this.stream.isTTY === true;
    this.heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.redrawMs = options.redrawMs ?? DEFAULT_REDRAW_MS;
  }

  /** Starts a step: "<label> ...". End it with done() or fail(). */
  step(label: string, options: StepOptions = {}): Step {
    const step = new Step(this, label, options, this.clock.now());
    this.running.push(step);
    if (this.tty) {
      this.draw(step.liveLine(this.clock.now()));
      this.stopRedraw ??= this.clock.every(this.redrawMs, () => this.redraw());
    } else {
      this.print(`${label} ...`);
      step.stopHeartbeat = this.clock.every(this.heartbeatMs, () =>
        this.print(`still ${step.liveLine(this.clock.now(), true)}`),
      );
    }
    return step;
  }

  /** Runs `work` as a step: done when it resolves, failed (and rethrown) when it throws. */
  async run<T>(label: string, work: (step: Step) => Promise<T> | T, options: StepOptions = {}): Promise<T> {
    const step = this.step(label, options);
    try {
      const result = await work(step);
      step.done();
      return result;
    } catch (error) {
      step.fail();
      throw error;
    }
  }

  /** The clock's time, in ms. */
  now(): number {
    return this.clock.now();
  }

  /** A line of its own (a result, a hint), kept apart from a redrawn step line. */
  note(text: string): void {
    this.print(text);
    this.redraw();
  }

  /**
   * Lets other output (a child process's, echoed) through: the redrawn line is cleared first and
   * drawn again after, so the two do not run into each other.
   */
  interject(write: () => void): void {
    this.clear();
    write();
    this.redraw();
  }

  /** @internal Called by Step when it ends. */
  finish(step: Step, line: string): void {
    const i = this.running.indexOf(step);
    if (i >= 0) this.running.splice(i, 1);
    step.stopHeartbeat?.();
    this.print(line);
    if (this.running.length === 0) {
      this.stopRedraw?.();
      this.stopRedraw = null;
    } else {
      this.redraw();
    }
  }

  private print(line: string): void {
    this.clear();
    this.stream.write(`${line}\n`);
  }

  private clear(): void {
    if (this.drawn) this.stream.write(CLEAR_LINE);
    this.drawn = false;
  }

  private redraw(): void {
    const step = this.running.at(-1);
    if (this.tty && step) this.draw(step.liveLine(this.clock.now()));
  }

  private draw(line: string): void {
    // One character short of the width: a line that wraps cannot be redrawn in place.
    const width = (this.stream.columns ?? 0) - 1;
    const fitted = width > 10 && line.length > width ? `${line.slice(0, width - 1)}…` : line;
    this.stream.write(`${CLEAR_LINE}${fitted}`);
    this.drawn = true;
  }
}

export class Step {
  private counted = 0;
  private ended = false;
  /** @internal */
  stopHeartbeat: (() => void) | undefined;

  constructor(
    private readonly progress: Progress,
    readonly label: string,
    private readonly options: StepOptions,
    private readonly startedAt: number,
  ) {}

  /** Counts `n` more units. */
  add(n = 1): void {
    this.counted += n;
  }

  /** How many units it has counted so far. */
  get count(): number {
    return this.counted;
  }

  /** Ends the step: "<label>: <summary, or the count> in <elapsed> (<rate>)". */
  done(summary?: string): void {
    if (this.ended) return;
    this.ended = true;
    const ms = this.elapsed();
    const what = summary ?? (this.counts() ? `${count(this.counted)} ${this.unit(this.counted)}` : "done");
    this.progress.finish(this, `${this.label}: ${what} in ${formatDuration(ms)}${this.rate(ms)}`);
  }

  /** Ends the step as failed; the caller reports the error itself. */
  fail(reason?: string): void {
    if (this.ended) return;
    this.ended = true;
    const counted = this.counts() ? `, ${this.tally()}` : "";
    this.progress.finish(
      this,
      `${this.label}: FAILED after ${formatDuration(this.elapsed())}${counted}${reason ? `: ${reason}` : ""}`,
    );
  }

  /** "<label> ... 40 s, 12/40 files (3.0 files/s)": a heartbeat, or a terminal's redrawn line. */
  liveLine(now: number, heartbeat = false): string {
    const ms = now - this.startedAt;
    // a terminal's line says nothing of the time in the first second
    const time = heartbeat || ms >= 1000 ? formatDuration(ms) : "";
    const parts = [time, this.counts() ? `${this.tally()}${this.rate(ms)}` : ""];
    const news = parts.filter(Boolean).join(", ");
    return news ? `${this.label} ... ${news}` : `${this.label} ...`;
  }

  private elapsed(): number {
    return this.progress.now() - this.startedAt;
  }

  private counts(): boolean {
    return this.options.total !== undefined || this.counted > 0;
  }

  /** The unit, singular for one ("1 file"): units are plurals in -s. */
  private unit(n = 2): string {
    const unit = this.options.unit ?? "items";
    return n === 1 ? unit.replace(/s$/, "") : unit;
  }

  private tally(): string {
    const total = this.options.total === undefined ? "" : `/${count(this.options.total)}`;
    return `${count(this.counted)}${total} ${this.unit(this.options.total ?? this.counted)}`;
  }

  /** " (1,234 files/s)", once there is something to divide (under 0.1 s it would mean little). */
  private rate(ms: number): string {
    if (!this.counts() || this.counted === 0 || ms < 100) return "";
    return ` (${formatRate((this.counted * 1000) / ms)} ${this.unit()}/s)`;
  }
}
