package dev.llamashim.servlet;

import dev.llamashim.servlet.testing.BrokenCorpusEndToEnd;
import dev.llamashim.servlet.testing.CorpusRun;
import dev.llamashim.servlet.testing.Downstream;
import dev.llamashim.servlet.testing.RecordedRequest;
import dev.llamashim.servlet.testing.Reply;
import dev.llamashim.servlet.testing.ServletContainer;
import java.util.function.Function;

/** The broken-answer corpus through the filter in Jetty, in front of an async servlet that answers from another thread. */
class BrokenCorpusInJettyTest extends BrokenCorpusEndToEnd {

    @Override
    protected Started start(CorpusRun run, Function<RecordedRequest, Reply> route) {
        Downstream.Setup setup = Downstream.ASYNC.start(ServletContainer.Kind.JETTY, new ToolStreamFilter(run.settings()), route, 16);
        return new Started(setup.container().baseUri(), setup);
    }
}
