import type { Server, Socket } from "node:net";
import { createServer } from "node:net";

/**
 * A TCP server on loopback for the failures a real one cannot be asked to stage: it accepts every
 * connection and then says nothing at all (`silent`), or completes a PostgreSQL handshake without a
 * password and then never answers a query (`postgresThatStopsAnswering`).
 */
export interface FakeServer {
  port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  close(): Promise<void>;
}

async function listen(onSocket: (socket: Socket) => void): Promise<FakeServer> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    get accepted() {
      return accepted;
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Accepts and never answers: reads and discards whatever the client sends. */
export function silentServer(): Promise<FakeServer> {
  return listen((socket) => socket.resume());
}

/**
 * Answers a PostgreSQL startup message with AuthenticationOk and ReadyForQuery (idle), and after
 * that nothing: queries are read and ignored, as by a server that stopped answering mid-session.
 */
export function postgresThatStopsAnswering(): Promise<FakeServer> {
  return listen((socket) => {
    let greeted = false;
    socket.on("data", () => {
      if (greeted) return;
      greeted = true;
      const authOk = Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 0]); // 'R', length 8, AuthenticationOk
      const ready = Buffer.from([0x5a, 0, 0, 0, 5, 0x49]); // 'Z', length 5, idle
      socket.write(Buffer.concat([authOk, ready]));
    });
  });
}
