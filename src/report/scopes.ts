/**
 * Nesting of layers for the collapsible table. Scopes come in two spellings: PyTorch module paths with
 * '.' (`layer1.0.conv1`, `features.3`) and Keras nested-model paths with '/'
 * (`mobilenetv2_0.35_96/block_1_expand`, whose model name itself holds a '.').
 */
import type { ReportLayer } from './types.js';

/** A PyTorch path segment: a Python identifier or a Sequential index. */
const TORCH_SEGMENT = /^(?:[A-Za-z_]\w*|\d+)$/;

/** Splits a scope into its nesting segments; a name that only looks dotted (`mobilenetv2_0.35_96`) stays whole. */
export function splitScope(scope: string): string[] {
  if (scope.includes('/')) return scope.split('/').filter((s) => s !== '');
  const dotted = scope.split('.');
  return dotted.length > 1 && dotted.every((s) => TORCH_SEGMENT.test(s)) ? dotted : [scope];
}

/**
 * The groups a layer sits in, outermost first: its scope's proper prefixes. The layer's own module is
 * its last segment, so `layer1.0.relu` and a second call of the same module both sit in `layer1.0`.
 * A census `path` (when present) wins over the scope.
 */
export function groupsOf(layer: ReportLayer): string[] {
  const segs =
    layer.path === undefined
      ? splitScope(layer.scope)
      : typeof layer.path === 'string'
        ? splitScope(layer.path)
        : [...layer.path];
  const sep =
    layer.path === undefined
      ? layer.scope.includes('/')
        ? '/'
        : '.'
      : typeof layer.path === 'string' && layer.path.includes('/')
        ? '/'
        : '.';
  const out: string[] = [];
  for (let i = 1; i < segs.length; i++) out.push(segs.slice(0, i).join(sep));
  return out;
}
