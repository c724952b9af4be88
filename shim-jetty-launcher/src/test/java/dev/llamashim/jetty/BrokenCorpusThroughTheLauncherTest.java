package dev.llamashim.jetty;

import dev.llamashim.servlet.ShimSettings;
import dev.llamashim.servlet.testing.BrokenCorpusEndToEnd;
import dev.llamashim.servlet.testing.CorpusRun;
import dev.llamashim.servlet.testing.FakeLlamaServer;
import dev.llamashim.servlet.testing.RecordedRequest;
import dev.llamashim.servlet.testing.Reply;
import java.util.function.Function;

/** The broken-answer corpus through the launcher: its Jetty, the filter and its proxy servlet, set as config.yaml would. */
class BrokenCorpusThroughTheLauncherTest extends BrokenCorpusEndToEnd {

    @Override
    protected Started start(CorpusRun run, Function<RecordedRequest, Reply> route) {
        FakeLlamaServer upstream = FakeLlamaServer.start(route);
        ShimSettings settings = run.settings();
        RunningLauncher launcher = Launcher.start(LauncherConfig.builder().proxyPort(0).targetUrl(upstream.baseUri())
                .mode(settings.mode())
                .textToolCalls(settings.textToolCalls())
                .normalizeNonStream(settings.normalizeNonStream())
                .build());
        return new Started(launcher.uri(), launcher, upstream);
    }
}
