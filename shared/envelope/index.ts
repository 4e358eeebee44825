export * from './event-types';
export * from './envelope';
export * from './validate';
export * from './ids';
export * as parts from './parts';
