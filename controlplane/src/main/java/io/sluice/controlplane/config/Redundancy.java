package io.sluice.controlplane.config;

/**
 * {@code redundancy} / {@code mode sso}: an active and a standby control process with state
 * checkpointed between them (reference 001). Sluice offers SSO only.
 *
 * @param stateful {@code mode sso}; always true.
 */
public record Redundancy(boolean stateful)
{
    public static final Redundancy SSO = new Redundancy(true);
}
