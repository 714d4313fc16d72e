// One subscriber's stream of events: an async iterator that holds what arrived before it was read.
//
// Written out rather than taken from graphql-yoga's createPubSub().subscribe(): that returns a
// Repeater, which registers its listener only when first read, after the HTTP response has begun,
// and a Repeater that is returned before it is read never runs its cleanup. Here the listener is
// registered before the stream is handed out, so "the response has begun" means "every event
// published from now on is delivered", and ending the stream always removes the listener.

/** How many undelivered events a stream holds for a slow reader before it drops the oldest. */
export const MAX_BUFFERED_EVENTS = 1_000;

export class EventStream<T> implements AsyncIterableIterator<T> {
  private readonly buffered: T[] = [];
  private readonly readers: ((result: IteratorResult<T, undefined>) => void)[] = [];
  private done = false;
  private resolveEnded!: () => void;
  /** Settles once the stream has ended, however it ended. */
  readonly ended = new Promise<void>((resolve) => {
    this.resolveEnded = resolve;
  });

  /**
   * @param onEnd called once, when the stream ends (the reader left, or end() was called)
   * @param onOverflow called when an event is dropped because the reader is too far behind
   */
  constructor(
    private readonly onEnd: () => void,
    private readonly onOverflow: () => void = () => {},
  ) {}

  /** Delivers an event (to a waiting reader, else into the buffer). Ignored once ended. */
  push(value: T): void {
    if (this.done) return;
    const reader = this.readers.shift();
    if (reader) {
      reader({ value, done: false });
      return;
    }
    if (this.buffered.length >= MAX_BUFFERED_EVENTS) {
      this.buffered.shift();
      this.onOverflow();
    }
    this.buffered.push(value);
  }

  /**
   * Ends the stream: the reader gets what is buffered, then the end. For the server's shutdown,
   * and for a subscription whose credentials expire.
   */
  end(): void {
    if (this.done) return;
    this.done = true;
    for (const reader of this.readers.splice(0)) reader({ value: undefined, done: true });
    this.onEnd();
    this.resolveEnded();
  }

  next(): Promise<IteratorResult<T, undefined>> {
    const value = this.buffered.shift();
    if (value !== undefined) return Promise.resolve({ value, done: false });
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.readers.push(resolve));
  }

  /** The reader is gone (the client disconnected): drop what is buffered and end. */
  return(): Promise<IteratorResult<T, undefined>> {
    this.buffered.length = 0;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/**
 * The values of `source` that `load` turns into something (null skips the value), in order, one
 * `load` at a time. Returning the result returns the source at once, even while a read of the
 * source is pending (an async generator would wait for the source's next value first, and keep a
 * subscription that nobody reads until its project's next event).
 */
export function deliverable<S, D>(
  source: AsyncIterator<S, undefined>,
  load: (value: S) => Promise<D | null>,
): AsyncIterableIterator<D> {
  return {
    async next(): Promise<IteratorResult<D, undefined>> {
      for (;;) {
        const read = await source.next();
        if (read.done) return { value: undefined, done: true };
        const delivered = await load(read.value);
        if (delivered !== null) return { value: delivered, done: false };
      }
    },
    async return(): Promise<IteratorResult<D, undefined>> {
      await source.return?.();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
