// The transport half of an upstream login, the same in every dialect: a TCP connection with a
// deadline, and TLS options for upstream.tls (verify-full checks the certificate against the host
// Sluice dialled, name or IP address).
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { checkServerIdentity, type ConnectionOptions, type TLSSocket } from 'node:tls';

/** Connects to the database server; rejects with a message fit for the client after `timeoutMs`. */
export function dialUpstream(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host, port, noDelay: true, keepAlive: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connecting to ${host}:${port} timed out`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new Error(`cannot connect to ${host}:${port}: ${error.code ?? error.message}`));
    });
  });
}

/** TLS options towards `host`: verified only for verify-full; SNI only for names. */
export function upstreamTlsOptions(host: string, mode: string, ca?: Buffer): ConnectionOptions {
  return {
    ...(isIP(host) ? {} : { servername: host }),
    // Without a servername Node checks the certificate against "localhost", not the address dialled.
    checkServerIdentity: (_name, certificate) => checkServerIdentity(host, certificate),
    rejectUnauthorized: mode === 'verify-full',
    ...(ca === undefined ? {} : { ca }),
  };
}

/** Resolves once the TLS handshake with the server is done; rejects with its failure. */
export function tlsEstablished(socket: TLSSocket): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', () => {
      socket.removeAllListeners('error');
      resolve();
    });
    socket.once('error', (error) => reject(new Error(`TLS with the database server failed: ${error.message}`)));
  });
}
