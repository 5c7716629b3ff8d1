import type { Logger } from '../observability/index.js';
import type { RegisteredDevice } from '../registry/index.js';
import type { Pipeline } from './pipeline.js';

/**
 * The MQTT broker as a source: its publish hook hands each message to `accept` and, for
 * QoS 1, returns the promise the broker waits on before it writes the PUBACK.
 */
export function mqttSource(pipeline: Pick<Pipeline, 'accept' | 'connection'>, logger: Logger) {
  const logFailure = (err: unknown) => logger.error({ err }, 'outbox write failed');
  return {
    onPublish(device: RegisteredDevice, topic: string, payload: Buffer, qos: number): Promise<unknown> | void {
      const done = pipeline.accept('mqtt', device, { topic, payload, qos: qos === 0 ? 0 : 1 });
      if (qos === 0) {
        done.catch(logFailure);
        return;
      }
      return done;
    },
    onConnection(device: RegisteredDevice, online: boolean): void {
      pipeline.connection(device, online);
    },
  };
}
