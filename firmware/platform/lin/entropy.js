// The lin runtime's random bytes: getrandom(2) in entropy.c. Kept in .js: the
// `@` host-function syntax is XS-only; entropy.d.ts gives TypeScript the shape.
function fill(buffer) @ "xs_lin_entropy_fill";

export { fill };
