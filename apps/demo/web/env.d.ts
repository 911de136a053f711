/// <reference types="vite/client" />

declare module 'virtual:corpus-sample' {
  /** The start of the built-in corpus, read from its registry package at build time. */
  const text: string;
  export const name: string;
  export default text;
}
