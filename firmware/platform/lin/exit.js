// The lin runtime's reset: the process ends with a status its starter reads
// (lin/ota-boot: a requested restart, a simulated crash). Kept in .js: the
// `@` host-function syntax is XS-only; exit.d.ts gives TypeScript the shape.
function exit(status) @ "xs_lin_exit";

export { exit };
