import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LocalStackError, PortInUseError, type StandInPort } from './errors.ts';

/**
 * Starts `server` listening on host:port (0 = an ephemeral port) and resolves with the port it got.
 * @throws PortInUseError when the port is taken, LocalStackError for any other listen failure.
 */
export function listen(server: Server, host: string, port: number, which: StandInPort): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (error.code === 'EADDRINUSE') reject(new PortInUseError(port, which, { cause: error }));
      else reject(new LocalStackError(`cannot listen on ${host}:${port}: ${error.message}`, { cause: error }));
    };
    const onListening = () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/** Maps a listen error raised by another library (Fastify) onto the same typed errors as {@link listen}. */
export function listenError(error: unknown, host: string, port: number, which: StandInPort): Error {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') return new PortInUseError(port, which, { cause: error });
  return new LocalStackError(`cannot listen on ${host}:${port}: ${(error as Error).message}`, { cause: error });
}

/** The base URL of a loopback server, with IPv6 hosts bracketed. */
export function httpUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
