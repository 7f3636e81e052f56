/**
 * Labeler 2, the definition of the truth: per-bar evidence, per-bar regime costs, the segmentation
 * with a switching cost, the labels of a series, the settled label of an instant, and the causal
 * view as of an instant that the model reads. No TensorFlow: a process that only needs realised
 * regimes (the live scorer) starts fast and never touches a model artifact.
 */
export * from './evidence.ts';
export * from './forward-outcome.ts';
export * from './label-report.ts';
export * from './label-series.ts';
export * from './params.ts';
export * from './regime-costs.ts';
export * from './regimes.ts';
export * from './rules.ts';
export * from './segmentation.ts';
export * from './settled-label.ts';
export * from './view.ts';
