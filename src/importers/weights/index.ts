/**
 * The weights-only room: files that store tensors and no architecture (safetensors, a sharded
 * safetensors index, torch.save state dicts in the zip and legacy formats), read into a tensor inventory.
 * files.ts recognises them by their bytes and hands them here.
 */
export { looksLikeSafetensors, isShardIndex, readSafetensors, readShardIndex, MAX_HEADER } from './safetensors.js';
export { readTorchZip, readPickleFile, MAX_PICKLE } from './torch.js';
export { readPickle, allowedGlobal, RefusedGlobal } from './pickle.js';
