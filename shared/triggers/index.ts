export { createTriggersService, type TriggersDeps, type TriggersService } from './handler';
export { triggersConfig, type TriggersConfig } from './config';
export { buildIndex, type WorkspaceIndex } from './compile';
export { matchEvent, type Start } from './match';
