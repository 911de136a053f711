export { Parameter } from './module/parameter';
export { Module, type StateDict, type LoadStateDictOptions, type LoadStateDictResult } from './module/module';
