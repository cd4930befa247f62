package io.sluice.controlplane.config;

/**
 * A password or pre-shared key kept as configured (IKE needs the text), which {@link #toString()}
 * never shows, so that a model, an exception or a log line built from it cannot leak it. Only the
 * running configuration prints {@link #value()}.
 *
 * @param value the secret text.
 */
public record Secret(String value)
{
    public Secret
    {
        if (value == null || value.isEmpty())
        {
            throw new IllegalArgumentException("empty secret");
        }
    }

    @Override
    public String toString()
    {
        return "<secret>";
    }
}
