/** `summary` of a weights-only file: its tensor inventory, totals by dtype, and what the count means. */
import { groupTensors, type TensorEntry, type TensorInventory } from '../inventory.js';
import { csvCell, markdownCell, terminalText } from './escape.js';
import { int, scaledBytes, shape, si } from './numbers.js';
import { fitProse, table } from './table.js';

const FORMATS: Record<TensorInventory['format'], string> = {
  safetensors: 'safetensors',
  'safetensors-index': 'a sharded safetensors index',
  torch: 'a torch.save file (zip format)',
  'torch-legacy': 'a torch.save file (legacy format, torch.save(..., _use_new_zipfile_serialization=False))',
  census: "a model's census",
};

const sized = scaledBytes;
const approx = (n: number): string => (n >= 1000 ? ` (${si(n)})` : '');
const plural = (n: number, one: string, many = `${one}s`): string => `${int(n)} ${n === 1 ? one : many}`;

/** What a row says beside its figures: buffer by name, tied, a view, its shard. */
function note(t: TensorEntry, text: (s: string) => string): string {
  return [
    t.tiedTo !== undefined ? `tied: is ${text(t.tiedTo)}, counted there` : '',
    t.sharesStorageWith !== undefined ? `a view of ${text(t.sharesStorageWith)}'s storage` : '',
    t.buffer ? 'buffer (by name)' : '',
    t.file !== undefined ? text(t.file) : '',
  ]
    .filter(Boolean)
    .join('; ');
}

/** The sentences that say what the totals count and what the file alone shows or cannot show. */
function meaning(inv: TensorInventory, text: (s: string) => string): string[] {
  const t = inv.totals;
  const out: string[] = [];
  const state = inv.format === 'torch' || inv.format === 'torch-legacy' ? 'A state dict' : 'A weights file';
  out.push(
    `${state} stores every tensor of the model, parameters and buffers alike, so its element total is not PyTorch's sum(p.numel() for p in model.parameters()) when the model has buffers; "without buffers" leaves out the tensors named as PyTorch's own layers name buffers (${t.buffers.tensors ? inv.bufferNames.map(text).join(', ') : 'none here'}): a naming convention, not a certainty, since a model may register buffers under any name.`,
  );
  for (const group of inv.tied)
    out.push(
      `Tied: ${group.map(text).join(' = ')} are one tensor (the same storage, offset, size and stride), counted once, as parameters() counts a tied parameter.`,
    );
  if (inv.tensors.some((e) => e.sharesStorageWith !== undefined))
    out.push(
      "Views: some tensors are slices of another tensor's storage; each counts its own elements, and torch.save stores the storage once, whole.",
    );
  for (const h of inv.heads)
    out.push(
      `No ${text(h.missing)} is stored, and ${text(h.embedding)} is an embedding table: transformers writes a head tied to its embedding once (safetensors refuses shared tensors), so a model that ties them counts the table once, as here; this file cannot say whether the model ties them (its config's tie_word_embeddings does).`,
    );
  if (inv.storageBytes !== undefined && inv.storageBytes !== t.bytes)
    out.push(
      `Stored: the storages these tensors view hold ${sized(inv.storageBytes)} on disk, against ${sized(t.bytes)} of tensors (a view saves its whole storage).`,
    );
  if (inv.shapesOnly)
    out.push(
      'Shapes only: the tensors are on the meta device, so the file stores no data; the bytes are what the tensors would take, and ties cannot be seen.',
    );
  if (inv.otherEntries)
    out.push(
      `Besides the tensors the file holds ${plural(inv.otherEntries.count, 'other value')} (first: ${inv.otherEntries.first.map(text).join(', ')}); tensors are named by their path in the pickled object.`,
    );
  if (inv.shardOf)
    out.push(
      `Its name says shard ${inv.shardOf.shard} of ${inv.shardOf.of}: the model's other tensors are in the other shards (give the model.safetensors.index.json for the whole model).`,
    );
  if (inv.indexTotalSize !== undefined)
    out.push(
      `The index's metadata says total_size ${int(inv.indexTotalSize)}; its shards hold ${int(t.bytes)} bytes of tensors.`,
    );
  return out;
}

const metadataLines = (inv: TensorInventory, text: (s: string) => string): string[] =>
  Object.entries(inv.metadata ?? {}).map(
    ([k, v]) => `${text(k)} = ${text(typeof v === 'string' ? v : JSON.stringify(v))}`,
  );

function headline(inv: TensorInventory): string {
  const t = inv.totals;
  const names = t.tensors + t.tiedNames;
  return `${plural(t.tensors, 'tensor')}${names !== t.tensors ? ` under ${int(names)} names` : ''}, ${int(t.elements)} elements${approx(t.elements)}, ${sized(t.bytes)}`;
}

/** The tensor table (or, with `depth`, the tensors summed by module prefix), totals by dtype, the totals. */
export function formatInventory(inv: TensorInventory, depth?: number): string {
  const t = inv.totals;
  const out: string[] = [];
  out.push(`File: ${terminalText(inv.source)} - ${FORMATS[inv.format]}`);
  out.push(`Holds: ${headline(inv)}`);
  if (inv.shards)
    out.push(`Shards: ${inv.shards.map((s) => `${terminalText(s.file)} (${plural(s.tensors, 'tensor')})`).join(', ')}`);
  if (depth === undefined)
    out.push(
      table(
        ['Tensor', 'Dtype', 'Shape', 'Elements', 'Bytes', 'Note'],
        inv.tensors.map((e) => [e.name, e.dtype, shape(e.shape), int(e.elements), int(e.bytes), note(e, terminalText)]),
        ['left', 'left', 'left', 'right', 'right', 'left'],
        undefined,
        [4, 5],
      ),
    );
  else
    out.push(
      table(
        ['Prefix', 'Tensors', 'Elements', 'Bytes', 'Of which buffers'],
        groupTensors(inv, depth).map((g) => [
          g.prefix,
          int(g.tensors),
          int(g.elements),
          int(g.bytes),
          g.buffers ? int(g.buffers) : '--',
        ]),
        ['left', 'right', 'right', 'right', 'right'],
      ),
    );
  out.push(
    table(
      ['Dtype', 'Tensors', 'Elements', 'Bytes'],
      t.byDtype.map((d) => [d.dtype, int(d.tensors), int(d.elements), sized(d.bytes)]),
      ['left', 'right', 'right', 'right'],
    ),
  );
  out.push(
    table(
      ['Total', 'Value', 'Meaning'],
      [
        [
          'tensors',
          int(t.tensors),
          t.tiedNames ? `${plural(t.tiedNames, 'more name')} tied to these, not counted again` : 'as stored',
        ],
        [
          'elements',
          int(t.elements),
          `${t.elements >= 1000 ? `${si(t.elements)}; ` : ''}every stored tensor, tied ones once`,
        ],
        ['  without buffers', int(t.withoutBuffers.elements), "parameters by PyTorch's naming (see below)"],
        [
          '  buffers',
          int(t.buffers.elements),
          t.buffers.tensors ? `${plural(t.buffers.tensors, 'tensor')} named as buffers` : 'none by name',
        ],
        ['bytes', sized(t.bytes), 'kB/MB/GB = 10^3/10^6/10^9; KiB/MiB/GiB = 2^10/2^20/2^30'],
      ],
      ['left', 'right', 'left'],
      [null, null, 60],
    ),
  );
  const meta = metadataLines(inv, terminalText);
  if (meta.length) out.push(['Metadata', ...meta.map((m) => `  ${m}`)].join('\n'));
  out.push(['What the count means', ...meaning(inv, terminalText).map((m) => `  ${m}`)].join('\n'));
  return fitProse(out.join('\n'));
}

export function inventoryMarkdown(inv: TensorInventory): string {
  const t = inv.totals;
  const lines = [
    `## ${markdownCell(inv.source)}`,
    '',
    `${FORMATS[inv.format]}: ${headline(inv)}.`,
    '',
    '| Tensor | Dtype | Shape | Elements | Bytes | Note |',
    '| --- | --- | --- | ---: | ---: | --- |',
    ...inv.tensors.map(
      (e) =>
        `| ${markdownCell(e.name)} | ${e.dtype} | ${shape(e.shape)} | ${int(e.elements)} | ${int(e.bytes)} | ${markdownCell(note(e, (s) => s))} |`,
    ),
    `| **Total** | | | **${int(t.elements)}** | **${int(t.bytes)}** | |`,
    '',
    '| Dtype | Tensors | Elements | Bytes |',
    '| --- | ---: | ---: | ---: |',
    ...t.byDtype.map((d) => `| ${d.dtype} | ${int(d.tensors)} | ${int(d.elements)} | ${sized(d.bytes)} |`),
    '',
    '| Total | Value |',
    '| --- | ---: |',
    `| tensors | ${int(t.tensors)} |`,
    `| elements | ${int(t.elements)} |`,
    `| elements without buffers (by name) | ${int(t.withoutBuffers.elements)} |`,
    `| buffers (by name) | ${int(t.buffers.elements)} |`,
    `| bytes | ${sized(t.bytes)} |`,
    '',
    ...metadataLines(inv, markdownCell).map((m) => `- metadata: ${m}`),
    ...meaning(inv, markdownCell).map((m) => `- ${m}`),
  ];
  return lines.join('\n');
}

const CSV_COLUMNS = [
  'name',
  'dtype',
  'shape',
  'elements',
  'bytes',
  'buffer',
  'tiedTo',
  'sharesStorageWith',
  'file',
] as const;

/** One row per tensor name, then a TOTAL row (tied names counted once). */
export function inventoryCsv(inv: TensorInventory): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const e of inv.tensors)
    lines.push(CSV_COLUMNS.map((k) => csvCell(k === 'buffer' ? String(e.buffer) : (e[k] ?? ''))).join(','));
  lines.push(['TOTAL', '', '', inv.totals.elements, inv.totals.bytes, '', '', '', ''].map(csvCell).join(','));
  return lines.join('\n');
}
