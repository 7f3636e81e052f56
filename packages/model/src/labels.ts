/**
 * The labeler without the model: `@regime/model/labels` loads no TensorFlow, so a process that only
 * needs realised regimes (the live scorer) starts fast and never touches a model artifact.
 */
export * from './label-series.ts';
export * from './labeler.ts';
export * from './regimes.ts';
export * from './settled-label.ts';
