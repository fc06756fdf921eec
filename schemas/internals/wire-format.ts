import { DeserializeError } from '../errors.ts';

/**
 * Confluent wire format: magic byte 0, 4-byte big-endian schema id, then the Avro
 * binary body. Every Confluent-compatible client (Java, Python, Superset's
 * Kafka tooling) reads it.
 */
const MAGIC_BYTE = 0;
const HEADER_LENGTH = 5;

export function encodeFrame(schemaId: number, body: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(HEADER_LENGTH + body.length);
  frame.writeUInt8(MAGIC_BYTE, 0);
  frame.writeInt32BE(schemaId, 1);
  body.copy(frame, HEADER_LENGTH);
  return frame;
}

export function decodeFrame(buffer: Buffer, topic: string): { schemaId: number; body: Buffer } {
  if (buffer.length < HEADER_LENGTH) {
    throw new DeserializeError(`${topic}: ${buffer.length}-byte value is shorter than the 5-byte schema header`, {
      details: { topic, length: buffer.length },
    });
  }
  const magic = buffer.readUInt8(0);
  if (magic !== MAGIC_BYTE) {
    throw new DeserializeError(`${topic}: magic byte ${magic}, expected ${MAGIC_BYTE} (not Confluent-framed Avro)`, {
      details: { topic, magic },
    });
  }
  return { schemaId: buffer.readInt32BE(1), body: buffer.subarray(HEADER_LENGTH) };
}
