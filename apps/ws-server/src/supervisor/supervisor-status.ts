/** Lifecycle of the supervisor (`Supervisor`): what it logs and tests wait for. */
export type SupervisorStatus = 'starting' | 'running' | 'restarting' | 'stopping' | 'stopped';
