export * from './slack-sim/index.ts';
