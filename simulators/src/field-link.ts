import { connect, type Socket } from "node:net";

/**
 * One message a field device sends: an HJ 212 frame, or an SL 651 message (one frame, or its
 * packets). `key` is what the peer's answer names: the QN for HJ 212, function code and serial
 * number for SL 651.
 */
export interface FieldMessage {
  key: string;
  /** Counted under this name in `sentByKind` (the CN or the function code). */
  kind: string;
  /** Socket writes, in order: more than one when a frame is split or a message is sent as packets. */
  writes: readonly Buffer[];
  /** What a resend writes: the same frame without injected faults. Default: `writes`. */
  retryWrites?: readonly Buffer[];
  /** False for messages that ask for no answer (HJ 212 Flag without the A bit, SL 651 keep-alive). */
  wantsAnswer: boolean;
}

/** What a device makes of bytes from its peer: answers (by key) and anything it could not use. */
export type AnswerEvent = { key: string } | { problem: string };
export type AnswerParser = (chunk: Buffer) => AnswerEvent[];

export interface FieldLinkOptions {
  host: string;
  port: number;
  /** How long to wait for an answer before sending the same message again. */
  replyTimeoutMs: number;
  /** Resends after a timeout before the message is given up (counted `unacknowledged`). */
  maxResends: number;
  /** Messages kept while offline or waiting; past it the oldest is dropped (counted `dropped`). */
  maxBacklog: number;
  reconnectInitialMs: number;
  reconnectMaxMs: number;
  /** Pause between the writes of one message, so that the peer sees them as separate TCP segments. */
  writeGapMs: number;
  /** A fresh parser per connection (a half-read answer does not survive a reconnect). */
  answers: () => AnswerParser;
}

export interface FieldLinkStats {
  connects: number;
  connectFailures: number;
  disconnects: number;
  /** Messages handed to the link. Every one ends up in exactly one of the next five counts, or in `backlog`. */
  queued: number;
  acked: number;
  /** Sent without asking for an answer. */
  oneWay: number;
  /** Given up after `maxResends` resends without an answer. */
  unacknowledged: number;
  /** Evicted unsent (or unanswered) from a full backlog. */
  dropped: number;
  /** Waiting to be sent, or sent and waiting for the answer. */
  backlog: number;
  /** First transmissions. */
  sent: number;
  /** Transmissions of a message already sent once: after a timeout, or after a reconnect (补发). */
  resent: number;
  answers: number;
  /** Answers to no message in flight (late, duplicated, or for something never sent). */
  strayAnswers: number;
  /** Bytes from the peer that were no usable answer (bad CRC, other commands, junk). */
  badAnswers: number;
  sentByKind: Record<string, number>;
}

interface Entry {
  message: FieldMessage;
  written: boolean;
  timeouts: number;
}

/**
 * The TCP client side of a field device: connects to its receiver, reconnects with exponential
 * backoff, and sends one message at a time, waiting for each answer (stop-and-wait, as data
 * loggers and RTUs do). Unanswered messages are sent again unchanged; messages made while the
 * link is down wait in a bounded backlog and go out after the reconnection. Nothing leaves the
 * backlog without being counted.
 */
export class FieldLink {
  readonly #options: FieldLinkOptions;
  readonly #queue: Entry[] = [];
  readonly #stats: FieldLinkStats = {
    connects: 0,
    connectFailures: 0,
    disconnects: 0,
    queued: 0,
    acked: 0,
    oneWay: 0,
    unacknowledged: 0,
    dropped: 0,
    backlog: 0,
    sent: 0,
    resent: 0,
    answers: 0,
    strayAnswers: 0,
    badAnswers: 0,
    sentByKind: {},
  };
  #socket: Socket | undefined;
  #connected = false;
  #stopped = true;
  #inFlight: Entry | undefined;
  #parser: AnswerParser | undefined;
  #replyTimer: NodeJS.Timeout | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #failures = 0;

  constructor(options: FieldLinkOptions) {
    this.#options = options;
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** Nothing waiting and nothing in flight. */
  get idle(): boolean {
    return this.#inFlight === undefined && this.#queue.length === 0;
  }

  /** Starts connecting; resolves once the first attempt has succeeded or failed (it retries either way). */
  start(): Promise<void> {
    this.#stopped = false;
    return new Promise((resolve) => this.#connect(resolve));
  }

  /** Closes the connection and stops retrying; what is still in the backlog stays counted there. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#reconnectTimer);
    clearTimeout(this.#replyTimer);
    const socket = this.#socket;
    if (socket === undefined || socket.destroyed) return;
    await new Promise<void>((resolve) => {
      socket.once("close", () => resolve());
      socket.destroy();
    });
  }

  send(message: FieldMessage): void {
    this.#stats.queued++;
    this.#queue.push({ message, written: false, timeouts: 0 });
    this.#trim();
    this.#pump();
  }

  stats(): FieldLinkStats {
    return {
      ...this.#stats,
      backlog: this.#queue.length + (this.#inFlight === undefined ? 0 : 1),
      sentByKind: { ...this.#stats.sentByKind },
    };
  }

  #connect(settled?: () => void): void {
    const socket = connect({ host: this.#options.host, port: this.#options.port });
    socket.setNoDelay(true);
    this.#socket = socket;
    let opened = false;
    socket.once("connect", () => {
      opened = true;
      this.#connected = true;
      this.#failures = 0;
      this.#stats.connects++;
      this.#parser = this.#options.answers();
      settled?.();
      this.#pump();
    });
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("error", () => {}); // "close" follows; the reconnection handles it
    socket.once("close", () => {
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      this.#connected = false;
      this.#parser = undefined;
      if (opened) this.#stats.disconnects++;
      else this.#stats.connectFailures++;
      this.#requeueInFlight();
      settled?.();
      if (!this.#stopped) this.#scheduleReconnect();
    });
  }

  #scheduleReconnect(): void {
    const { reconnectInitialMs, reconnectMaxMs } = this.#options;
    const delay = Math.min(reconnectMaxMs, reconnectInitialMs * 2 ** Math.min(this.#failures, 30));
    this.#failures++;
    this.#reconnectTimer = setTimeout(() => this.#connect(), delay);
  }

  /** A message whose answer the dropped connection took with it goes first after the reconnection. */
  #requeueInFlight(): void {
    clearTimeout(this.#replyTimer);
    const entry = this.#inFlight;
    this.#inFlight = undefined;
    if (entry === undefined) return;
    this.#queue.unshift(entry);
    this.#trim();
  }

  #trim(): void {
    while (this.#queue.length > this.#options.maxBacklog) {
      this.#queue.shift();
      this.#stats.dropped++;
    }
  }

  #pump(): void {
    if (this.#stopped || !this.#connected || this.#inFlight !== undefined) return;
    const entry = this.#queue.shift();
    if (entry === undefined) return;
    this.#inFlight = entry;
    void this.#transmit(entry);
  }

  async #transmit(entry: Entry): Promise<void> {
    const socket = this.#socket;
    if (socket === undefined) return;
    const { message } = entry;
    const writes = entry.written ? (message.retryWrites ?? message.writes) : message.writes;
    if (entry.written) this.#stats.resent++;
    else {
      this.#stats.sent++;
      this.#stats.sentByKind[message.kind] = (this.#stats.sentByKind[message.kind] ?? 0) + 1;
    }
    entry.written = true;
    for (const [i, bytes] of writes.entries()) {
      if (i > 0) {
        await new Promise((resolve) => setTimeout(resolve, this.#options.writeGapMs));
        if (this.#socket !== socket || socket.destroyed) return; // the close handler requeued it
      }
      socket.write(bytes);
    }
    if (this.#inFlight !== entry) return;
    if (!message.wantsAnswer) {
      this.#stats.oneWay++;
      this.#inFlight = undefined;
      this.#pump();
      return;
    }
    this.#replyTimer = setTimeout(() => this.#onTimeout(entry), this.#options.replyTimeoutMs);
  }

  #onTimeout(entry: Entry): void {
    if (this.#inFlight !== entry) return;
    if (entry.timeouts < this.#options.maxResends) {
      entry.timeouts++;
      void this.#transmit(entry);
      return;
    }
    this.#stats.unacknowledged++;
    this.#inFlight = undefined;
    this.#pump();
  }

  #onData(chunk: Buffer): void {
    for (const event of this.#parser?.(chunk) ?? []) {
      if ("problem" in event) {
        this.#stats.badAnswers++;
        continue;
      }
      this.#stats.answers++;
      const entry = this.#inFlight;
      if (entry === undefined || entry.message.key !== event.key || !entry.message.wantsAnswer) {
        this.#stats.strayAnswers++;
        continue;
      }
      clearTimeout(this.#replyTimer);
      this.#stats.acked++;
      this.#inFlight = undefined;
      this.#pump();
    }
  }
}
