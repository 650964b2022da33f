using System.Text;
using LocalSidecar.Subscriptions;

namespace LocalSidecar.Tests.Subscriptions;

/// <summary>daprd's reading of the app's answer (postman/http/http.go), row by row.</summary>
public sealed class AppAnswerTests
{
    [Theory]
    [InlineData(200, "", AppAnswerKind.Success)]
    [InlineData(204, "", AppAnswerKind.Success)]
    [InlineData(200, "not json", AppAnswerKind.Success)]
    [InlineData(200, "[1,2]", AppAnswerKind.Success)]
    [InlineData(200, """{"other":"field"}""", AppAnswerKind.Success)]
    [InlineData(200, """{"status":"SUCCESS"}""", AppAnswerKind.Success)]
    [InlineData(200, """{"status":""}""", AppAnswerKind.Success)]
    [InlineData(200, """{"Status":"DROP"}""", AppAnswerKind.Drop)]
    [InlineData(200, """{"status":"DROP"}""", AppAnswerKind.Drop)]
    [InlineData(202, """{"status":"RETRY"}""", AppAnswerKind.Retry)]
    [InlineData(200, """{"status":"success"}""", AppAnswerKind.Retry)]
    [InlineData(200, """{"status":"PAUSE"}""", AppAnswerKind.Retry)]
    [InlineData(404, "", AppAnswerKind.Drop)]
    [InlineData(404, """{"status":"SUCCESS"}""", AppAnswerKind.Drop)]
    [InlineData(400, "", AppAnswerKind.Retry)]
    [InlineData(500, """{"status":"SUCCESS"}""", AppAnswerKind.Retry)]
    [InlineData(503, "", AppAnswerKind.Retry)]
    [InlineData(302, "", AppAnswerKind.Retry)]
    public void the_app_answer_is_read_as_daprd_reads_it(int status, string body, AppAnswerKind expected)
    {
        Assert.Equal(expected, AppAnswer.Read(status, Encoding.UTF8.GetBytes(body)).Kind);
    }
}
