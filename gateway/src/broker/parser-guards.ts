import { isUtf8 } from 'node:buffer';

/**
 * Checks aedes leaves to mqtt-packet's parser, which decodes strings leniently and accepts what
 * MQTT 3.1.1 says a server must refuse. Each refusal is a parser error (the connection closes)
 * tagged with the reason it is counted under.
 */

interface BufferList {
  length: number;
  slice(start: number, end: number): Buffer;
}

interface MqttParser {
  packet: { cmd?: string; messageId?: number; length: number };
  error: Error | null;
  _list: BufferList;
  _pos: number;
  _parseString(): string | null;
  _parseMessageId(): boolean;
  _emitError(err: Error): void;
  emit(event: string, ...args: unknown[]): boolean;
}

/** A refusal found by the gateway's own checks; `reason` is the counter label. */
export class ProtocolRefusal extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ParserGuardHooks {
  /** Writes raw bytes to the connection, calling back once written (CONNACK 0x01 before a close). */
  write(bytes: Buffer, written: () => void): void;
}

const CONNACK_UNACCEPTABLE_PROTOCOL = Buffer.from([0x20, 0x02, 0x00, 0x01]);
const FFFD = '\uFFFD';
const NUL = '\u0000';

/** Wraps the parser of one aedes client; throws if aedes no longer exposes it (a version change). */
export function guardParser(client: unknown, hooks: ParserGuardHooks): void {
  const parser = (client as { _parser?: MqttParser })._parser;
  if (!parser || typeof parser._parseString !== 'function' || typeof parser._parseMessageId !== 'function') {
    throw new Error('aedes client has no mqtt-packet parser to guard (aedes or mqtt-packet version changed?)');
  }
  const parseString = parser._parseString.bind(parser);
  const parseMessageId = parser._parseMessageId.bind(parser);
  const emitError = parser._emitError.bind(parser);

  // One error per packet: after a refusal of ours the parser's own "cannot parse" follows it.
  parser._emitError = (err: Error) => {
    if (parser.error) return;
    if (parser.packet.cmd === 'connect' && err.message === 'Invalid protocol version') {
      // MQTT-3.1.2-2: CONNACK 0x01, then the close. Parsing stops now; the close follows the write.
      parser.error = err;
      hooks.write(CONNACK_UNACCEPTABLE_PROTOCOL, () => parser.emit('error', new ProtocolRefusal('protocol_level', 'unacceptable protocol level')));
      return;
    }
    emitError(err);
  };

  // MQTT-1.5.3-1/-2: a UTF-8 string must be well-formed and hold no U+0000. The lenient decode
  // turns ill-formed bytes into U+FFFD, so only strings holding U+FFFD or U+0000 are re-checked.
  parser._parseString = () => {
    const start = parser._pos;
    const s = parseString();
    if (s === null || (!s.includes(FFFD) && !s.includes(NUL))) return s;
    const bytes = parser._list.slice(start + 2, parser._pos);
    if (s.includes(NUL)) {
      parser._emitError(new ProtocolRefusal('bad_utf8', 'a UTF-8 string holds U+0000'));
      return null;
    }
    if (!isUtf8(bytes)) {
      parser._emitError(new ProtocolRefusal('bad_utf8', 'a UTF-8 string is ill-formed'));
      return null;
    }
    return s;
  };

  // MQTT-2.3.1-1: a packet identifier is never 0.
  parser._parseMessageId = () => {
    const ok = parseMessageId();
    if (ok && parser.packet.messageId === 0) {
      parser._emitError(new ProtocolRefusal('packet_id_zero', `${parser.packet.cmd} with packet identifier 0`));
      return false;
    }
    return ok;
  };
}

// Errors aedes and mqtt-packet raise for packets MQTT 3.1.1 refuses, by counter reason.
const KNOWN: Array<[RegExp, string]> = [
  // aedes' own answer (CONNACK 0x01) to protocol level 5, which the parser lets through.
  [/^unacceptable protocol version$/, 'protocol_level'],
  [/^identifier rejected$/, 'client_id_too_long'],
  [/^topic has too many levels$/, 'too_many_levels'],
  [/^(# is not allowed|\+ is not allowed|empty topic not allowed) in PUBLISH$/, 'bad_topic'],
  [/^Packet must not have both QoS bits set to 1$/, 'bad_qos'],
  [/^Invalid protocol$/, 'protocol_order'],
  [/SUBSCRIBE|[Ss]ubscribe/, 'bad_subscribe'],
];

/**
 * The counter reason of an error that ended a connection, or undefined for one that is no
 * refusal of the peer's packets (a reset socket, a keepalive timeout, an ACL denial counted
 * where it was decided). Unknown parser errors are `malformed`.
 */
export function refusalReason(err: Error, fromParser: boolean): string | undefined {
  if (err instanceof ProtocolRefusal) return err.reason;
  for (const [pattern, reason] of KNOWN) if (pattern.test(err.message)) return reason;
  return fromParser ? 'malformed' : undefined;
}
