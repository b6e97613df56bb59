import { Decoder, Encoder, type Packet, PacketType } from 'socket.io-parser';

/**
 * The event name the server sees, instead of the client's, for an event whose acknowledgement id
 * is not an integer from 0 to 2^53 - 1 (`421e23[…]`): answering it would echo an id the client
 * never sent (`1e+23`), so it is answered with a `rejected` event instead.
 */
export const INVALID_ACK_ID: unique symbol = Symbol('invalid acknowledgement id');

type DecodedListener = (packet: Packet) => void;

/**
 * socket.io-parser's decoder, with every decoded event's acknowledgement id checked: socket.io
 * would accept any number the digits make (`1e+23`, or 2^53 + 1 rounded) and echo it back.
 */
export class CheckedDecoder extends Decoder {
  private readonly wrapped = new Map<DecodedListener, DecodedListener>();

  override on(event: 'decoded', listener: DecodedListener): this {
    const checked: DecodedListener = (packet) => listener(withCheckedAckId(packet));
    this.wrapped.set(listener, checked);
    return super.on(event, checked);
  }

  override removeListener(event?: 'decoded', listener?: DecodedListener): this {
    const checked = listener ? this.wrapped.get(listener) : undefined;
    if (listener) this.wrapped.delete(listener);
    return super.removeListener(event, checked ?? listener);
  }
}

/** The parser of the Socket.IO server (`parser` option): the standard encoder, the checked decoder. */
export const checkedParser = { Encoder, Decoder: CheckedDecoder };

function withCheckedAckId(packet: Packet): Packet {
  const { id } = packet;
  if (id === undefined || packet.type !== PacketType.EVENT || (Number.isSafeInteger(id) && id >= 0))
    return packet;
  return { ...packet, id: undefined, data: [INVALID_ACK_ID] };
}
