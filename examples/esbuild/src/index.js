// The page: starts the worker, shows what it reports. `?checkpoint=URL` also loads a checkpoint
// directory by URL (relative to the page) and continues `?prefix=` (default "time traveller")
// by `?tokens=` (default 50) characters.
const params = new URLSearchParams(location.search);
const checkpoint = params.get('checkpoint');
const state = { backend: null, corpus: null, epochs: [], text: null, checkpoint: null, error: null, done: false };
// Scripted checks (the repository's release rehearsal) read the state here.
window.recurrentExample = state;

const show = (id, text) => (document.getElementById(id).textContent = text);

const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
worker.onmessage = ({ data: { type, value } }) => {
  if (type === 'backend') {
    state.backend = value;
    const why = value.fallback ? ` (${value.fallback.reason}: ${value.fallback.message})` : '';
    show('backend', `${value.backend}${value.simd ? ' · SIMD' : ''} · ${value.threads} thread(s)${why}`);
  } else if (type === 'corpus') {
    state.corpus = value;
    show('corpus', value);
  } else if (type === 'epoch') {
    state.epochs.push(value);
    show('epochs', state.epochs.map((e) => `epoch ${e.epoch}: loss ${e.loss.toFixed(3)}, perplexity ${e.perplexity.toFixed(2)}, ${e.seconds.toFixed(1)} s`).join('\n'));
  } else if (type === 'text') {
    state.text = value;
    show('text', value);
  } else if (type === 'checkpoint') {
    state.checkpoint = value;
    show('checkpoint', `${value.url}\n${value.text}`);
  } else if (type === 'done') {
    state.done = true;
    show('status', 'done');
  } else if (type === 'error') {
    state.error = value;
    show('status', `error: ${value}`);
  }
};
worker.onerror = (event) => {
  state.error = event.message || 'the worker failed to start';
  show('status', `error: ${state.error}`);
};
worker.postMessage({
  prefix: 'the whale',
  checkpoint: checkpoint ? new URL(checkpoint.endsWith('/') ? checkpoint : `${checkpoint}/`, location.href).href : null,
  checkpointPrefix: params.get('prefix') ?? 'time traveller',
  tokens: Number(params.get('tokens') ?? 50),
});
