// The JWS algorithms Sluice accepts on access tokens: asymmetric only, never `none` or a shared secret.
export const TOKEN_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

export type TokenAlgorithm = (typeof TOKEN_ALGORITHMS)[number];
