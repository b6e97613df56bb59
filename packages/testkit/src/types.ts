/** Host and port of a server, node or sentinel. */
export interface HostPort {
  host: string;
  port: number;
}
